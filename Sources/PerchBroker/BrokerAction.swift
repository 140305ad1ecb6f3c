import PerchCodec

/// What the broker asks the transport (and the store) to do, in order.
///
/// The transport applies the actions of one batch, commits the store once, and only then
/// flushes the output: acknowledgements that promise durability never reach a client
/// before the state they promise is committed (DESIGN.md, "Durability").
public enum BrokerAction: Sendable {
    /// The connection's CONNECT was read (or a malformed one far enough to know its
    /// level): from now on decode and encode its packets as `version`. Emitted before any
    /// answer to that CONNECT, so the transport frames the rest of the same read right.
    /// `clientID` is the CONNECT's (possibly empty), for logs.
    case connecting(ConnectionID, version: ProtocolVersion, clientID: String)
    /// The CONNECT was accepted; its CONNACK follows. Who the client is, for the log.
    case accepted(ConnectionID, AcceptedClient)
    /// Encode `packet` for the connection's version and queue it for the next flush.
    /// `packet.awaitsCommit` says whether it may leave before the batch's commit.
    case send(ConnectionID, Packet)
    /// Flush what is queued for the connection, then close it. The broker has finished
    /// with the connection when it emits this (Will published or discarded, session kept
    /// or dropped): the transport must not report `.closed` for it afterwards, and must
    /// drop any further bytes that connection sends (MQTT-3.1.4-5).
    case close(ConnectionID)
    /// A change to durable state for the store.
    case persist(StoreChange)
    /// Check the CONNECT's password against the realm's password file, off the loop, and
    /// answer with `.passwordChecked`. The CONNECT (and whatever the client sends behind
    /// it) waits; nobody else does.
    case checkPassword(ConnectionID, PasswordCheck)
}

/// One password to check (`BrokerAction.checkPassword`).
public struct PasswordCheck: Sendable, Hashable {
    /// The access realm (0: global; a listener's with `per_listener_settings true`).
    public var realm: Int
    public var clientID: String
    public var username: String
    /// The CONNECT's Password; nil when it had none.
    public var password: [UInt8]?

    public init(realm: Int, clientID: String, username: String, password: [UInt8]?) {
        self.realm = realm
        self.clientID = clientID
        self.username = username
        self.password = password
    }
}

/// A change to durable state: retained messages (emitted by the event that changes them),
/// and the state of persistent sessions (a session with a non-zero expiry) as one image
/// per changed session per batch (`Broker.takeDurableChanges(into:)`).
public enum StoreChange: Sendable {
    /// Set or replace the retained message of `message.topic`.
    case retain(Message)
    /// Remove the retained message of a topic.
    case clearRetained(TopicName)
    /// Set or replace the durable state of a persistent session (`Broker+Persistence`).
    case session(DurableSession)
    /// The session of a client id ended (or stopped being persistent): forget it.
    case sessionEnded(String)
}

/// An accepted client as the transport logs it (mosquitto's connect line).
public struct AcceptedClient: Sendable, Hashable {
    /// The client id, assigned by the broker when the CONNECT's was empty.
    public var clientID: String
    /// The User Name the broker accepted (the CONNECT's, or the transport's identity).
    public var username: String?
    public var version: ProtocolVersion
    public var cleanStart: Bool
    /// The keep alive the client asked for, in seconds.
    public var keepAlive: UInt16
}

extension Packet {
    /// Whether the packet may only leave after the batch's commit: acknowledgements that
    /// promise durable state (PUBACK, PUBREC, SUBACK, CONNACK, UNSUBACK, and PUBCOMP, which
    /// frees an id the client may reuse), and QoS 1/2 PUBLISH and PUBREL, whose flow state
    /// must be on disk before the client sees them (else a restart could redeliver a QoS 2
    /// message the client already released). The broker's rule, which the transport
    /// applies to every `.send` (DESIGN.md, "Durability").
    public var awaitsCommit: Bool {
        switch self {
        case .puback, .pubrec, .pubrel, .pubcomp, .suback, .unsuback, .connack: return true
        case .publish(let publish): return publish.qos != .atMostOnce
        case .connect, .subscribe, .unsubscribe, .pingreq, .pingresp, .disconnect, .auth: return false
        }
    }
}
