import PerchCodec

/// Authorisation: what an accepted client may publish, subscribe to and receive (the hook
/// behind a plugin; the built-in `acl_file` is evaluated beside it, and both must allow).
/// Asked once per inbound PUBLISH and Will, per SUBSCRIBE entry and per delivery; nil in
/// `Broker.init` allows everything.
///
///     PUBLISH refused  ─▶ v5: PUBACK / PUBREC 0x87, not delivered
///                     └▶ 3.1.1: acknowledged as usual, not delivered [v311 MQTT-3.3.5-2]
///     SUBSCRIBE entry refused ─▶ SUBACK 0x87 for it (3.1.1: 0x80)
///     delivery refused ─▶ not sent to that subscriber
public protocol Authorizer: Sendable {
    func mayPublish(clientID: String, username: String?, topic: String) -> Bool
    func maySubscribe(clientID: String, username: String?, filter: String) -> Bool
    /// Whether a message on `topic` may be delivered to the client (retained ones too).
    func mayRead(clientID: String, username: String?, topic: String) -> Bool
}

extension Authorizer {
    /// Every delivery allowed, unless the authorizer says otherwise.
    public func mayRead(clientID: String, username: String?, topic: String) -> Bool { true }
}
