import PerchCodec

/// What a listener asks of the broker for every connection it accepts: the per-listener
/// options of mosquitto.conf that change MQTT behaviour rather than bytes. The transport
/// hands it over with `.opened`; connections of a listener with the default policy cost
/// the broker nothing extra.
public struct ListenerPolicy: Sendable, Hashable {
    /// `mount_point`: prepended to every topic and filter the client sends (PUBLISH, Will,
    /// SUBSCRIBE, UNSUBSCRIBE), stripped from the topics it receives. Clients of such a
    /// listener live in their own part of the topic space.
    public var mountPoint: String?
    /// `use_identity_as_username` / `use_subject_as_username` (and a PSK identity): the
    /// User Name is the identity the transport established below MQTT (`.identified`),
    /// whatever the CONNECT says; a client without one is refused with 0x86 (3.1.1: 0x04).
    public var usernameFromIdentity: Bool
    /// The access realm (`AccessRealm`) of the listener: 0, the global one, unless
    /// `per_listener_settings true` gave the listener its own password and ACL files.
    public var realm: Int

    public init(mountPoint: String? = nil, usernameFromIdentity: Bool = false, realm: Int = 0) {
        self.mountPoint = mountPoint
        self.usernameFromIdentity = usernameFromIdentity
        self.realm = realm
    }

    /// Whether connections under this policy are treated like any other.
    var isDefault: Bool { mountPoint == nil && !usernameFromIdentity && realm == 0 }
}

/// The policy of one connection and the identity the transport established for it. Kept
/// beside the connection table (only for connections whose policy is not the default), so
/// that the common connection entry stays small.
struct ConnectionContext: Sendable {
    var policy: ListenerPolicy
    /// The identity from `.identified` (a certificate's CN or subject, a PSK identity).
    var identity: String?
}
