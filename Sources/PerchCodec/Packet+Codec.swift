/// The codec's entry points: a `Frame` becomes a `Packet`, a `Packet` becomes bytes.
///
///     fixed header              variable header + payload (the Frame's body)
///     +------+---------------+-----------------------------------------------+
///     | type | flags | Remaining Length (VBI) | ... Remaining Length bytes ... |
///     +------+---------------+-----------------------------------------------+
///
/// The codec only classifies bad input (`DecodeError.reason`: 0x81 cannot be parsed,
/// 0x82 parsed but forbidden, 0x84 unknown protocol); the broker decides the reaction.
extension Packet {
    /// Decodes a frame. `version` is the connection's version, nil before CONNECT
    /// (CONNECT carries its own; any other packet before CONNECT is decoded as 3.1.1, and
    /// the broker refuses it anyway).
    public init(frame: Frame, version: ProtocolVersion?) throws(DecodeError) {
        guard let type = PacketType(rawValue: frame.header >> 4) else {
            throw .malformed("forbidden packet type 0")  // Table 2-1
        }
        var reader = ByteReader(frame.body)
        try self.init(type: type, flags: frame.header & 0x0F, body: &reader, version: version)
    }

    /// Decodes a body that `reader` covers exactly (FrameDecoder.nextPacket reads it in place).
    init(type: PacketType, flags: UInt8, body reader: inout ByteReader, version: ProtocolVersion?) throws(DecodeError) {
        try Packet.checkFixedHeaderFlags(type, flags)
        self = try Packet.decodeBody(type, flags: flags, version: version ?? .v311, from: &reader)
        try reader.expectEnd("packet")  // §2.1.4: body longer than its fields
    }

    /// Appends the packet's wire bytes for `version` (CONNECT uses its own `version`).
    /// Computes the size first, then writes into one reservation. The reservation grows
    /// geometrically: `reserveCapacity` of the exact size would reallocate (and copy the
    /// whole buffer) on every append to a connection's output, quadratic in a batch.
    public func encode(version: ProtocolVersion, into buffer: inout [UInt8]) {
        var counter = ByteCounter()
        writeBody(version: version, to: &counter)
        let bodyLength = counter.count
        let needed = buffer.count + 1 + VariableByteInteger.size(of: bodyLength) + bodyLength
        if needed > buffer.capacity { buffer.reserveCapacity(max(needed, 2 * buffer.capacity)) }
        buffer.append(fixedHeaderByte)
        buffer.writeVariableByteInteger(bodyLength)
        writeBody(version: version, to: &buffer)
    }

    /// Appends the packet as `encode` would, except for a PUBLISH's payload, which the
    /// caller appends itself right after (the transport streams a large payload to the
    /// socket in pieces, from the one copy every subscriber shares). Other packets are
    /// appended whole.
    public func encodeHead(version: ProtocolVersion, into buffer: inout [UInt8]) {
        guard case .publish(var head) = self else { return encode(version: version, into: &buffer) }
        let payloadLength = head.payload.count
        head.payload = []
        let packet = Packet.publish(head)
        var counter = ByteCounter()
        packet.writeBody(version: version, to: &counter)
        buffer.append(packet.fixedHeaderByte)
        buffer.writeVariableByteInteger(counter.count + payloadLength)
        packet.writeBody(version: version, to: &buffer)
    }

    /// The number of bytes `encode` appends.
    public func encodedSize(version: ProtocolVersion) -> Int {
        var counter = ByteCounter()
        writeBody(version: version, to: &counter)
        return 1 + VariableByteInteger.size(of: counter.count) + counter.count
    }

    /// Fixed-header flags (Table 2-2 v5, Table 2.2 v3.1.1). Wrong flags are Malformed.
    static func checkFixedHeaderFlags(_ type: PacketType, _ flags: UInt8) throws(DecodeError) {
        switch type {
        case .publish:
            let qos = (flags >> 1) & 0x03
            guard qos != 3 else { throw .malformed("PUBLISH with QoS 3") }  // [MQTT-3.3.1-4]
            guard !(qos == 0 && flags & 0x08 != 0) else {
                throw .malformed("PUBLISH QoS 0 with DUP=1")  // [MQTT-3.3.1-2]
            }
        case .pubrel, .subscribe, .unsubscribe:
            guard flags == 0b0010 else {
                throw .malformed("\(type) flags must be 0010")  // [MQTT-3.6.1-1] [MQTT-3.8.1-1] [MQTT-3.10.1-1]
            }
        case .connect, .connack, .puback, .pubrec, .pubcomp, .suback, .unsuback, .pingreq, .pingresp,
             .disconnect, .auth:
            guard flags == 0 else {
                throw .malformed("\(type) flags must be 0000")  // [MQTT-2.2.2-2] [v5 MQTT-3.14.1-1] [MQTT-3.15.1-1]
            }
        }
    }
}
