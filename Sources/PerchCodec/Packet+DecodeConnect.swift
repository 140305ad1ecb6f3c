/// Decoding CONNECT (§3.1):
///
///     Protocol Name | Level | Flags | Keep Alive | [v5 Properties]
///     Client Id | [v5 Will Properties, Will Topic, Will Payload] | [User Name] | [Password]
///
///     Flags: 7 User Name | 6 Password | 5 Will Retain | 4-3 Will QoS | 2 Will | 1 Clean | 0 reserved
///
/// Once the level is known every error carries `connectVersion`, so the broker can answer
/// with a CONNACK of that version (or none, as 3.1.1 MQTT-3.1.4-1 asks).
extension Connect {
    init(from reader: inout ByteReader) throws(DecodeError) {
        let version = try Connect.readProtocolVersion(from: &reader)
        do {
            try self.init(from: &reader, version: version)
        } catch {
            var tagged = error
            tagged.connectVersion = version
            throw tagged
        }
    }

    /// `MQTT` with level 4 (3.1.1) or 5, `MQIsdp` with level 3 (3.1); anything else is 0x84.
    private static func readProtocolVersion(from reader: inout ByteReader) throws(DecodeError) -> ProtocolVersion {
        let name = try reader.readString("protocol name")
        let level = try reader.readByte("protocol level")
        switch (name, level) {
        case ("MQTT", 4): return .v311
        case ("MQTT", 5): return .v5
        case ("MQIsdp", 3): return .v31
        default:
            // [MQTT-3.1.2-1] [MQTT-3.1.2-2]
            throw DecodeError(.unsupportedProtocolVersion, "unsupported protocol \(name) level \(level)")
        }
    }

    private init(from reader: inout ByteReader, version: ProtocolVersion) throws(DecodeError) {
        let flags = try ConnectFlags(try reader.readByte("CONNECT flags"), version: version)
        let keepAlive = try reader.readUInt16("keep alive")
        let properties = version == .v5 ? try Properties(from: &reader, context: .connect) : Properties()
        let clientID = try reader.readString("client identifier")  // [v311 MQTT-3.1.3-4] [MQTT-1.5.4-1]
        var will: Will?
        if let willQoS = flags.willQoS {
            will = try Will(from: &reader, version: version, qos: willQoS, retain: flags.willRetain)
        }
        let username = flags.username ? try reader.readString("user name") : nil  // [v311 MQTT-3.1.3-11]
        let password = flags.password ? try reader.readBinary("password") : nil
        try reader.expectEnd("CONNECT payload")  // [MQTT-3.1.3-1]: no extra fields
        self.init(version: version, cleanStart: flags.cleanStart, keepAlive: keepAlive, clientID: clientID,
                  will: will, username: username, password: password, properties: properties)
    }
}

/// The CONNECT flags byte, checked (§3.1.2.3 – §3.1.2.9).
private struct ConnectFlags {
    var cleanStart: Bool
    var willQoS: QoS?  // nil when the Will Flag is 0
    var willRetain: Bool
    var password: Bool
    var username: Bool

    init(_ byte: UInt8, version: ProtocolVersion) throws(DecodeError) {
        guard byte & 0x01 == 0 else { throw .malformed("reserved CONNECT flag set") }  // [MQTT-3.1.2-3]
        let willFlag = byte & 0x04 != 0
        let qosBits = (byte >> 3) & 0x03
        willRetain = byte & 0x20 != 0
        if !willFlag {
            guard qosBits == 0, !willRetain else {
                // [v311 MQTT-3.1.2-11] [v311 MQTT-3.1.2-13] [v311 MQTT-3.1.2-15] [v5 MQTT-3.1.2-11] [v5 MQTT-3.1.2-13]
                throw .malformed("Will QoS or Will Retain set without Will Flag")
            }
        }
        guard let qos = QoS(rawValue: qosBits) else { throw .malformed("Will QoS 3") }  // [v311 MQTT-3.1.2-14]
        willQoS = willFlag ? qos : nil
        cleanStart = byte & 0x02 != 0
        password = byte & 0x40 != 0
        username = byte & 0x80 != 0
        if version != .v5 && password && !username {
            throw .malformed("Password Flag without User Name Flag")  // [v311 MQTT-3.1.2-22]
        }
    }
}

extension Will {
    /// v5 Will Properties, Will Topic, Will Payload (§3.1.3.2 – §3.1.3.4).
    fileprivate init(from reader: inout ByteReader, version: ProtocolVersion, qos: QoS, retain: Bool)
        throws(DecodeError)
    {
        let properties = version == .v5 ? try Properties(from: &reader, context: .will) : Properties()
        let topicString = try reader.readString("will topic")  // [v311 MQTT-3.1.3-10] [MQTT-1.5.4-1]
        // A Will Topic is a Topic Name: no wildcards, not empty [v5 interp: 0x82 like PUBLISH].
        let topic = try TopicName(validating: topicString)
        let payload = try reader.readBinary("will payload")
        self.init(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties)
    }
}
