import PerchCodec

/// One network connection as the broker sees it: waiting for CONNECT, then attached to a
/// session. Removed from the broker's table the moment the broker closes it or the
/// transport reports it gone; events for unknown connections are ignored (MQTT-3.1.4-5).
struct Connection: Sendable {
    /// Nil until a CONNECT is accepted.
    var client: ConnectedClient?
    /// An enhanced-authentication exchange in progress (before CONNACK or re-authentication).
    var authentication: PendingAuthentication? {
        get { if case .exchange(let value)? = pending?.value { return value } else { return nil } }
        set { pending = newValue.map { PendingBox(.exchange($0)) } }
    }
    /// A CONNECT whose password is being checked off the loop, and the packets that arrived
    /// behind it (handled once it is accepted).
    var passwordCheck: PendingPassword? {
        get { if case .password(let value)? = pending?.value { return value } else { return nil } }
        set { pending = newValue.map { PendingBox(.password($0)) } }
    }
    /// Boxed: it is rare and large (a whole CONNECT), and every connection's entry in the
    /// broker's table would otherwise carry room for it.
    private var pending: PendingBox?

    init(client: ConnectedClient? = nil) {
        self.client = client
    }
}

/// What a connection waits for before its CONNACK.
enum PendingConnect: Sendable {
    case exchange(PendingAuthentication)
    case password(PendingPassword)
}

/// A CONNECT waiting for `.passwordChecked`, with the packets the client sent behind it.
struct PendingPassword: Sendable {
    var connect: Connect
    var held: [Packet] = []
}

/// Holds a `PendingConnect` out of line (immutable; a change stores a new box).
final class PendingBox: Sendable {
    let value: PendingConnect
    init(_ value: PendingConnect) { self.value = value }
}

/// The per-connection state of an accepted client (what does not outlive the connection).
///
/// Every connection's entry in the broker's table carries one of these, so the layout is
/// kept tight (56 bytes with the `Connection` around it): word-sized fields first, the
/// small ones last so they share one word, and the rare strings (User Name, enhanced
/// authentication method) boxed together out of line.
struct ConnectedClient: Sendable {
    /// The session's handle (a slot index; stored in 4 bytes like the trie's handles).
    var session: Int {
        get { Int(sessionHandle) }
        set { sessionHandle = Int32(newValue) }
    }
    private var sessionHandle: Int32
    /// Effective keep alive in milliseconds (0 = off; at most 65,535 s × 1,000 × 1.5).
    var keepAliveMilliseconds: Int64 {
        get { Int64(keepAliveRaw) }
        set { keepAliveRaw = UInt32(newValue) }
    }
    private var keepAliveRaw: UInt32
    /// When the last packet arrived (keep alive is measured from it).
    var lastActivity: Timestamp
    /// The Will until DISCONNECT discards it or a close publishes it. Boxed (a Will is
    /// 40 bytes and most clients have none): every connection entry carries 8.
    var will: Will? {
        get { willBox?.value }
        set { willBox = newValue.map(WillBox.init) }
    }
    private var willBox: WillBox?
    /// Inbound v5 topic aliases of this connection.
    var aliases: [UInt16: String] = [:]
    /// The v5 Authentication Method the connection authenticated with (re-authentication
    /// must use the same one [v5 MQTT-4.12.1-1]); nil without enhanced authentication.
    var authenticationMethod: String? { credentials?.authenticationMethod }
    /// The CONNECT's User Name (for authorisation).
    var username: String? { credentials?.username }
    /// Nil when the client has neither a User Name nor an authentication method.
    private let credentials: ClientCredentials?
    /// v5 Will Delay Interval in seconds.
    var willDelay: UInt32
    var version: ProtocolVersion
    /// Whether CONNECT asked for a Session Expiry Interval of 0 (DISCONNECT may not raise it).
    var connectExpiryWasZero: Bool

    init(version: ProtocolVersion, session: Int, keepAliveMilliseconds: Int64, lastActivity: Timestamp, will: Will?,
         willDelay: UInt32, connectExpiryWasZero: Bool, authenticationMethod: String?, username: String?) {
        self.version = version
        self.sessionHandle = Int32(session)
        self.keepAliveRaw = UInt32(keepAliveMilliseconds)
        self.lastActivity = lastActivity
        self.willDelay = willDelay
        self.connectExpiryWasZero = connectExpiryWasZero
        self.credentials = authenticationMethod == nil && username == nil
            ? nil : ClientCredentials(authenticationMethod: authenticationMethod, username: username)
        self.will = will
    }
}

/// The rare identity strings of a connected client, out of line (immutable).
final class ClientCredentials: Sendable {
    let authenticationMethod: String?
    let username: String?
    init(authenticationMethod: String?, username: String?) {
        self.authenticationMethod = authenticationMethod
        self.username = username
    }
}

/// Holds a Will out of line (immutable; a change stores a new box).
final class WillBox: Sendable {
    let value: Will
    init(_ value: Will) { self.value = value }
}

/// Counters an embedder may show or export.
public struct BrokerStatistics: Sendable, Hashable {
    /// Connections with an accepted CONNECT.
    public var connectedClients = 0
    /// Sessions, connected or not.
    public var sessions = 0
    /// PUBLISH packets accepted from clients (and Wills published).
    public var messagesReceived = 0
    /// PUBLISH packets sent to clients (first sends and redeliveries).
    public var messagesSent = 0
    /// Retained messages currently stored.
    public var retainedMessages = 0
    /// Deliveries dropped: queue full, too large for the client, expired, QoS 0 offline.
    public var droppedMessages = 0
    /// Of those, QoS 1/2 deliveries dropped because the session's queue was full
    /// (`max_queued_messages` / `max_queued_bytes`), connected or not.
    public var queueOverflows = 0
    /// Deliveries the subscriber's ACL (or the authorizer) did not let it read.
    public var deniedDeliveries = 0

    public init() {}
}
