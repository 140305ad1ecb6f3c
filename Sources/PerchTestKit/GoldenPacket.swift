import PerchCodec

/// One hand-written wire encoding and the packet it means, for one protocol version.
///
/// The bytes are written from the spec's figures, independent of the encoder, so a test
/// can check both directions: `decode(bytes) == packet` and `encode(packet) == bytes`.
public struct GoldenPacket: Sendable, CustomStringConvertible {
    public var name: String
    public var version: ProtocolVersion
    public var bytes: [UInt8]
    public var packet: Packet

    public init(_ name: String, _ version: ProtocolVersion, _ bytes: [UInt8], _ packet: Packet) {
        self.name = name
        self.version = version
        self.bytes = bytes
        self.packet = packet
    }

    public var description: String { "\(version) \(name)" }
}

extension GoldenPacket {
    /// Test fixtures build validated names and filters from literals.
    static func topic(_ string: String) -> TopicName {
        TopicName(unchecked: string)
    }

    static func filter(_ string: String) -> TopicFilter {
        guard let filter = TopicFilter(validating: string) else { preconditionFailure("bad fixture filter \(string)") }
        return filter
    }

    static func id(_ value: UInt16) -> PacketID {
        guard let id = PacketID(value) else { preconditionFailure("packet id 0 in a fixture") }
        return id
    }
}
