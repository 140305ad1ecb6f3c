/// One framed control packet: the first fixed-header byte and the body (the Remaining
/// Length bytes that follow the length field).
public struct Frame: Sendable, Hashable {
    public var header: UInt8
    public var body: [UInt8]
    public init(header: UInt8, body: [UInt8]) {
        self.header = header
        self.body = body
    }
}

/// STUB — replaced by the codec work. Incremental framer: append bytes as they arrive,
/// take complete frames out. Rejects a packet larger than `maximumPacketSize` from its
/// fixed header, before buffering the body.
public struct FrameDecoder: Sendable {
    public var maximumPacketSize: UInt32
    public init(maximumPacketSize: UInt32 = 268_435_460) { self.maximumPacketSize = maximumPacketSize }
    public mutating func append(_ bytes: UnsafeRawBufferPointer) { fatalError("stub") }
    public mutating func append(_ bytes: [UInt8]) { fatalError("stub") }
    public mutating func next() throws(DecodeError) -> Frame? { fatalError("stub") }
    public var bufferedByteCount: Int { 0 }
}
