import PerchCodec

/// The limits and switches of the broker core. Defaults follow mosquitto 2.x where it has
/// an equivalent (names in comments are its mosquitto.conf directives).
public struct BrokerConfiguration: Sendable, Hashable {
    /// `allow_anonymous`: accept clients without a user name. The global realm's default
    /// until `.accessChanged` brings the realms of the configuration's access files.
    public var allowAnonymous: Bool = true
    /// Accept a zero-length client identifier and assign one (MQTT-3.1.3-6).
    public var allowZeroLengthClientID: Bool = true
    /// Prefix of assigned client identifiers.
    public var assignedClientIDPrefix: String = "perch-"
    /// `use_username_as_clientid`: the User Name replaces the client id (a client without one
    /// is refused 0x87 / 3.1.1 0x05), so one user cannot take over another's session.
    public var useUsernameAsClientID = false
    /// `clientid_prefixes`: only client ids starting with this are accepted (else 0x87 /
    /// 3.1.1 0x05, as mosquitto).
    public var clientIDPrefix: String?
    /// `max_inflight_messages`: outbound QoS 1/2 messages in flight per client (0 = no limit
    /// other than 65535). v5 clients' Receive Maximum lowers it further. (The config file's
    /// directive sets `receiveMaximum` too.)
    public var maxInflightMessages: Int = 20
    /// `max_queued_messages`: QoS 1/2 messages queued per session beyond the in-flight
    /// window (0 = no limit).
    public var maxQueuedMessages: Int = 1000
    /// `max_queued_bytes`: payload bytes queued per session (0 = no limit).
    public var maxQueuedBytes: Int = 0
    /// `message_size_limit`: largest payload accepted (0 = no limit beyond the protocol's).
    public var messageSizeLimit: Int = 0
    /// `max_packet_size`: largest inbound packet accepted, advertised as v5 Maximum Packet
    /// Size (0 = the protocol maximum, 268435455 + header).
    public var maxPacketSize: UInt32 = 0
    /// `max_keepalive`: the largest Keep Alive accepted; v5 clients asking for more (or 0)
    /// get Server Keep Alive. 3.1.1 clients above it are refused.
    public var maxKeepalive: UInt16 = 65535
    /// Bytes of QoS 0 retained messages a subscription's burst sends before it waits for the
    /// connection's output to drain (`BrokerEvent.outputDrained`); the server lowers it to a
    /// quarter of its output soft limit, so that a part never meets the limit's QoS 0 drop.
    public var retainedBurstBytes: Int = 256 * 1024
    /// `retain_available`.
    public var retainAvailable: Bool = true
    /// Receive Maximum the broker advertises to v5 clients (inbound QoS 1/2 window):
    /// `max_inflight_messages`, 20 by default, as mosquitto 2.0 advertises. A QoS 2 PUBLISH
    /// with a new packet id while this many await their PUBREL gets DISCONNECT 0x93
    /// (§4.9). At 65,535 (not advertised) no client can exceed it: the 65,536th id in
    /// flight must repeat one, and counts as a retransmission.
    public var receiveMaximum: UInt16 = 20
    /// Topic Alias Maximum the broker advertises to v5 clients (inbound aliases).
    public var topicAliasMaximum: UInt16 = 10
    /// Seconds a new connection may take to send CONNECT before it is closed.
    public var connectTimeout: Int64 = 10
    /// Largest QoS granted or accepted.
    public var maximumQoS: QoS = .exactlyOnce

    /// Topic aliases the broker assigns per connection to PUBLISH it sends to v5 clients,
    /// capped by the client's Topic Alias Maximum (0 = send full topic names only). The
    /// first topics sent take the aliases; once all are used, other topics go in full.
    public var outboundTopicAliasMaximum: UInt16 = 10
    /// Response Information for v5 clients that set Request Response Information 1: the
    /// CONNACK carries this prefix followed by the client identifier (nil = none sent).
    public var responseInformation: String?
    /// Where `redirect` sends clients (v5 Server Reference).
    public var serverReference: String?
    /// Refuse every v5 CONNECT with 0x9C / 0x9D and `serverReference` (3.1.1: 0x03).
    public var redirect: ServerRedirect = .none
    /// Whether filters with `+` / `#` are accepted (advertised to v5 clients as Wildcard
    /// Subscription Available). When false they are refused: SUBACK 0x80 / v5 0xA2.
    public var wildcardSubscriptionAvailable: Bool = true
    /// Whether `$share/{group}/{filter}` subscriptions are accepted (advertised as Shared
    /// Subscription Available). When false they are refused: SUBACK 0x80 / v5 0x9E.
    public var sharedSubscriptionAvailable: Bool = true
    /// Whether SUBSCRIBE may carry a Subscription Identifier (advertised as Subscription
    /// Identifier Available). When false one is a Protocol Error: DISCONNECT 0xA1.
    public var subscriptionIdentifierAvailable: Bool = true

    public init() {}
}

/// Whether the broker redirects clients to another server (v5 §4.11).
public enum ServerRedirect: Sendable, Hashable {
    case none
    /// CONNACK 0x9C Use another server (temporary).
    case useAnotherServer
    /// CONNACK 0x9D Server moved (permanent).
    case serverMoved
}
