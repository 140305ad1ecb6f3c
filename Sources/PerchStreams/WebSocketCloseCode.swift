/// A WebSocket close status code (RFC 6455 7.4): the first two bytes, big-endian, of a close
/// frame's payload.
public struct WebSocketCloseCode: RawRepresentable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000: the purpose of the connection is fulfilled.
    public static let normal = WebSocketCloseCode(rawValue: 1000)
    /// 1001: the endpoint is going away (server shutdown, browser navigating away).
    public static let goingAway = WebSocketCloseCode(rawValue: 1001)
    /// 1002: the peer broke the framing protocol.
    public static let protocolError = WebSocketCloseCode(rawValue: 1002)
    /// 1003: a data type the endpoint does not accept (for MQTT: a text frame, MQTT-6.0.0-1).
    public static let unsupportedData = WebSocketCloseCode(rawValue: 1003)
    /// 1007: payload bytes inconsistent with the message type (e.g. a close reason that is not UTF-8).
    public static let invalidPayload = WebSocketCloseCode(rawValue: 1007)
    /// 1008: a message that violates the endpoint's policy.
    public static let policyViolation = WebSocketCloseCode(rawValue: 1008)
    /// 1009: a message too big to process.
    public static let messageTooBig = WebSocketCloseCode(rawValue: 1009)
    /// 1011: an unexpected condition inside the server.
    public static let internalError = WebSocketCloseCode(rawValue: 1011)

    /// Whether a peer may put this code on the wire (RFC 6455 7.4.1, 7.4.2 and the IANA
    /// registry): 1000–1003, 1007–1014 and the application ranges 3000–4999. 1004, 1005,
    /// 1006 and 1015 are reserved and never sent; anything else below 5000 is unassigned.
    public var isValidOnTheWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    public var description: String { String(rawValue) }
}
