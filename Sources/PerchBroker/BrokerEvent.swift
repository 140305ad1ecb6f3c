import PerchCodec

/// What the transport tells the broker. Every event comes with `now`.
public enum BrokerEvent: Sendable {
    /// A connection was accepted on a listener with `policy`. The broker starts its
    /// CONNECT timer (which also bounds a TLS or WebSocket handshake below MQTT).
    case opened(ConnectionID, ListenerPolicy = ListenerPolicy())
    /// The transport established the peer's identity below MQTT (a TLS client
    /// certificate's CN or subject, a PSK identity), on a listener whose policy takes the
    /// User Name from it; nil: the peer presented none (its CONNECT will be refused).
    case identified(ConnectionID, String?)
    /// One decoded packet from a connection, in arrival order.
    case packet(ConnectionID, Packet)
    /// Bytes from a connection that could not be decoded; the broker picks the reaction
    /// (CONNACK, DISCONNECT or close) that `malformed-input.md` asks for.
    case malformed(ConnectionID, DecodeError)
    /// The connection is gone (peer closed, reset, write error, or a `.close` completed).
    /// The broker publishes the Will if one is pending and keeps or drops the session.
    case closed(ConnectionID)
    /// The answer to `.checkPassword` for the connection: whether the password is right.
    case passwordChecked(ConnectionID, Bool)
    /// New access rules (SIGHUP re-read the password, ACL and PSK files): from the next
    /// packet on every client, connected or not, is judged by them. Realm 0 is the global
    /// one; `ListenerPolicy.realm` picks a listener's.
    case accessChanged([AccessRealm])
    /// The timer the transport armed at `Broker.nextDeadline` fired.
    case tick
    /// The connection's output has drained, as `Broker.takeDrainRequests` asked to hear: the
    /// broker sends the next part of its retained burst (QoS 0 messages are paced this way,
    /// those at QoS 1/2 by their acknowledgements).
    case outputDrained(ConnectionID)
    /// SIGTERM / SIGINT: DISCONNECT every client (v5: 0x8B), then the transport closes them.
    case shutdown
}
