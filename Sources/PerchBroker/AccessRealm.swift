/// The access rules one set of listeners shares: mosquitto's `allow_anonymous`,
/// `password_file` and `acl_file`, global (realm 0) or, with `per_listener_settings true`,
/// one realm per listener (`ListenerPolicy.realm`).
public struct AccessRealm: Sendable, Hashable {
    /// Accept clients without a User Name.
    public var allowAnonymous: Bool
    /// A password file applies: a CONNECT with a User Name waits for `.checkPassword`.
    public var checksPasswords: Bool
    /// The ACL; nil: every client may read, write and subscribe to everything.
    public var acl: AccessControlList?

    public init(allowAnonymous: Bool, checksPasswords: Bool = false, acl: AccessControlList? = nil) {
        self.allowAnonymous = allowAnonymous
        self.checksPasswords = checksPasswords
        self.acl = acl
    }
}

/// What the broker keeps of a session's access: its realm and User Name (to resolve the ACL
/// again when the rules change) and its resolved rights.
struct SessionAccess: Sendable {
    var realm: Int
    var username: String?
    var rights: AccessRights
}
