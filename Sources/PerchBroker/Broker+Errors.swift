import PerchCodec

/// The one place that maps errors to reactions (`malformed-input.md`).
///
/// | state            | 3.1 / 3.1.1                        | 5.0                                   |
/// |------------------|------------------------------------|---------------------------------------|
/// | before CONNECT   | bad version: CONNACK 0x01 + close; | CONNACK(reason) + close               |
/// |                  | else close, no CONNACK             |                                       |
/// | after CONNACK    | close (Will published)             | DISCONNECT(reason) + close (Will too) |
extension Broker {
    /// A protocol violation by an accepted client: v5 DISCONNECT with `reason` first
    /// [v5 MQTT-4.13.1-1], 3.1/3.1.1 a plain close [MQTT-4.8.0-1]. The Will is published.
    func violation(_ reason: ReasonCode, on id: ConnectionID) {
        if let client = connections[id]?.client, client.version == .v5 {
            var properties = Properties()
            properties.reasonString = explanation(of: reason)
            sendFitted(.disconnect(Disconnect(reason: reason, properties: properties)), to: id, session: client.session)
        }
        close(id, will: .publish, notify: true)
    }

    /// Bytes that could not be decoded.
    func malformed(_ error: DecodeError, on id: ConnectionID) {
        guard let connection = connections[id] else { return } // [MQTT-3.1.4-5]
        if connection.client != nil {
            // A second CONNECT whose version cannot be read is a protocol error like any
            // second CONNECT [v5 MQTT-3.1.0-2]; 0x84 exists only in CONNACK.
            violation(error.reason == .unsupportedProtocolVersion ? .protocolError : error.reason, on: id)
            return
        }
        if let version = error.connectVersion { out.append(.connecting(id, version: version, clientID: "")) }
        // Before CONNACK no DISCONNECT may be sent [v5 MQTT-3.14.0-1].
        if error.reason == .unsupportedProtocolVersion {
            refuse(id, reason: .unsupportedProtocolVersion) // [v311 MQTT-3.1.2-2] [v5 MQTT-3.1.2-2]
        } else if error.connectVersion == .v5 {
            refuse(id, reason: error.reason) // [v5 MQTT-3.1.4-1]
        } else {
            closeSilently(id) // [v311 MQTT-3.1.4-1]
        }
    }
}
