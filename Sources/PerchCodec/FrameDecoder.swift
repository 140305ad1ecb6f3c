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

    /// The address of the storage held, for tests that check a payload was not copied.
    package var storageAddress: UInt? { buffer.withUnsafeBufferPointer { $0.baseAddress.map { UInt(bitPattern: $0) } } }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        compactIfWorthwhile()
        reserveForIncompletePacket(adding: bytes.count)
        buffer.append(contentsOf: bytes)
    }

    /// Before the buffer grows for a packet whose length is known, reserves exactly what
    /// it needs: doubling would hold up to twice a large packet's size while it arrives.
    /// Only once half of it is here: a header alone claiming 256 MB reserves nothing.
    private mutating func reserveForIncompletePacket(adding count: Int) {
        guard buffer.count + count > buffer.capacity, buffer.count - readIndex >= 2,
              case let .value(length, lengthBytes) = VariableByteInteger.decode(buffer, from: readIndex + 1, end: buffer.count)
        else { return }
        let total = 1 + lengthBytes + length
        let held = buffer.count - readIndex + count
        guard total <= Int(maximumPacketSize), total > held, held * 2 >= total else { return }
        buffer.reserveCapacity(readIndex + total)
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
        guard let (header, bodyStart, length) = try nextBounds() else { return nil }
        let frame = Frame(header: header, body: Array(buffer[bodyStart..<(bodyStart + length)]))
        consume(through: bodyStart + length)
        return frame
    }

    /// The next complete packet, decoded straight from the buffer (no copy of its body
    /// into a `Frame`), or nil while it is incomplete. Same errors as `next()` followed by
    /// `Packet(frame:version:)`; the packet's bytes are consumed even when it is malformed.
    public mutating func nextPacket(version: ProtocolVersion?) throws(DecodeError) -> Packet? {
        guard let (header, bodyStart, length) = try nextBounds() else { return nil }
        guard let type = PacketType(rawValue: header >> 4) else {
            consume(through: bodyStart + length)
            throw .malformed("forbidden packet type 0")  // Table 2-1
        }
        var reader = ByteReader(bytes: buffer, index: bodyStart, end: bodyStart + length)
        consume(through: bodyStart + length)
        return try Packet(type: type, flags: header & 0x0F, body: &reader, version: version)
    }

    /// Header byte, body start and body length of the next complete packet, if any.
    private func nextBounds() throws(DecodeError) -> (UInt8, Int, Int)? {
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
        return (buffer[readIndex], readIndex + 1 + lengthBytes, length)
    }

    private mutating func consume(through end: Int) {
        readIndex = end
        if readIndex == buffer.count {
            buffer = []  // release the storage: idle connections hold no buffer
            readIndex = 0
        }
    }

    /// Moves unread bytes to the front once the consumed prefix is at least half the buffer,
    /// so compaction costs amortised O(1) per byte and never copies per frame.
    private mutating func compactIfWorthwhile() {
        guard readIndex > 0, readIndex * 2 >= buffer.count else { return }
        buffer.removeSubrange(0..<readIndex)
        readIndex = 0
    }
}
