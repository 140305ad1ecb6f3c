/// Why bytes could not become a packet: the MQTT 5 reason code the broker should answer
/// with (0x81 Malformed Packet, 0x82 Protocol Error, 0x95 Packet too large, 0x84
/// Unsupported Protocol Version, ...), and a short description for the log.
///
/// The codec only classifies; the broker decides the reaction (CONNACK, DISCONNECT or a
/// plain close) from the connection's state and version, see `malformed-input.md`.
public struct DecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: ReasonCode
    public var message: String
    /// For an error inside CONNECT: the protocol version it declared, once that was read,
    /// so the broker can answer with a CONNACK of the right version (or none, for 3.1.1
    /// MQTT-3.1.4-1). Nil otherwise.
    public var connectVersion: ProtocolVersion?

    public init(_ reason: ReasonCode, _ message: String, connectVersion: ProtocolVersion? = nil) {
        self.reason = reason
        self.message = message
        self.connectVersion = connectVersion
    }

    public static func malformed(_ message: String) -> DecodeError { DecodeError(.malformedPacket, message) }
    public static func protocolError(_ message: String) -> DecodeError { DecodeError(.protocolError, message) }

    public var description: String { "\(message) (reason 0x\(String(reason.rawValue, radix: 16)))" }
}
