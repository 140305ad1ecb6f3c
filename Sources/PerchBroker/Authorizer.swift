import PerchCodec

/// Authorisation: what an accepted client may publish and subscribe to (the hook behind a
/// mosquitto-style `acl_file` or plugin). Asked once per inbound PUBLISH and per
/// SUBSCRIBE entry; nil in `Broker.init` allows everything.
///
///     PUBLISH refused  ─▶ v5: PUBACK / PUBREC 0x87, not delivered
///                     └▶ 3.1.1: acknowledged as usual, not delivered [v311 MQTT-3.3.5-2]
///     SUBSCRIBE entry refused ─▶ SUBACK 0x87 for it (3.1.1: 0x80)
public protocol Authorizer: Sendable {
    func mayPublish(clientID: String, username: String?, topic: String) -> Bool
    func maySubscribe(clientID: String, username: String?, filter: String) -> Bool
}
