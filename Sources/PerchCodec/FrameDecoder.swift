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

/// Incremental framer, one per connection: append bytes as they arrive, take complete
/// frames out with `next()`.
///
///     buffer: [ consumed ... | header VBI body | header VBI bo ]
///                            ^ readIndex                      ^ count
///
/// One buffer with a read index. A frame's body is copied out once; consumed bytes are
/// dropped by compacting (only when they are most of the buffer), and when every buffered
/// byte is consumed the storage is released, so an idle connection holds no buffer.
///
/// The fixed header alone decides a packet too large: `next()` throws `.packetTooLarge`
/// (0x95) as soon as the Remaining Length is known, without waiting for the body. A
/// Remaining Length of more than 4 bytes is Malformed (0x81, v5 §1.5.5, v3.1.1 §2.2.3).
public struct FrameDecoder: Sendable {
    /// The largest total packet size (fixed header included) accepted.
    public var maximumPacketSize: UInt32
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init(maximumPacketSize: UInt32 = 268_435_460) {
        self.maximumPacketSize = maximumPacketSize
    }

    /// Bytes appended but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// The capacity of the storage held (0 when idle), for tests and memory accounting.
    package var storageCapacity: Int { buffer.capacity }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if buffer.isEmpty {
            buffer = bytes  // shares the caller's storage, no copy
            return
        }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, nil when more bytes are needed.
    public mutating func next() throws(DecodeError) -> Frame? {
        let available = buffer.count - readIndex
        guard available >= 2 else { return nil }
        let length: Int
        let lengthBytes: Int
        switch VariableByteInteger.decode(buffer, from: readIndex + 1, end: buffer.count) {
        case .needMoreBytes: return nil
        case .tooLong: throw .malformed("Remaining Length longer than 4 bytes")
        case let .value(value, length: count): (length, lengthBytes) = (value, count)
        }
        let total = 1 + lengthBytes + length
        guard total <= Int(maximumPacketSize) else {
            throw DecodeError(.packetTooLarge, "packet of \(total) bytes exceeds maximum \(maximumPacketSize)")
        }
        guard available >= total else { return nil }
        let bodyStart = readIndex + 1 + lengthBytes
        let frame = Frame(header: buffer[readIndex], body: Array(buffer[bodyStart..<(bodyStart + length)]))
        readIndex += total
        if readIndex == buffer.count {
            buffer = []  // release the storage: idle connections hold no buffer
            readIndex = 0
        }
        return frame
    }

    /// Moves unread bytes to the front once the consumed prefix is at least half the buffer,
    /// so compaction costs amortised O(1) per byte and never copies per frame.
    private mutating func compactIfWorthwhile() {
        guard readIndex > 0, readIndex * 2 >= buffer.count else { return }
        buffer.removeSubrange(0..<readIndex)
        readIndex = 0
    }
}
