import PerchCodec

/// What the transport tells the broker. Every event comes with `now`.
public enum BrokerEvent: Sendable {
    /// A TCP connection was accepted. The broker starts its CONNECT timer.
    case opened(ConnectionID)
    /// One decoded packet from a connection, in arrival order.
    case packet(ConnectionID, Packet)
    /// Bytes from a connection that could not be decoded; the broker picks the reaction
    /// (CONNACK, DISCONNECT or close) that `malformed-input.md` asks for.
    case malformed(ConnectionID, DecodeError)
    /// The connection is gone (peer closed, reset, write error, or a `.close` completed).
    /// The broker publishes the Will if one is pending and keeps or drops the session.
    case closed(ConnectionID)
    /// The timer the transport armed at `Broker.nextDeadline` fired.
    case tick
    /// SIGTERM / SIGINT: DISCONNECT every client (v5: 0x8B), then the transport closes them.
    case shutdown
}
