import PerchCodec

/// Hand-written golden encodings of every packet type in every version it exists in.
/// Shared by the codec tests (both directions, framing) and by other test targets that
/// want real bytes to feed a connection.
public enum GoldenPackets {
    /// Every fixture: decoding `bytes` with `version` yields `packet`, encoding `packet`
    /// with `version` yields `bytes`.
    public static let all: [GoldenPacket] = connect + connAck + publish + acknowledgements + subscriptions + control

    // MARK: CONNECT (§3.1, Figure 3.2 ff.)

    public static let connect: [GoldenPacket] = [
        GoldenPacket("CONNECT minimal clean, keep alive 60, empty client id", .v311, [
            0x10, 0x0C,
            0x00, 0x04, 0x4D, 0x51, 0x54, 0x54,  // "MQTT"
            0x04, 0x02, 0x00, 0x3C,              // level 4, Clean Session, keep alive 60
            0x00, 0x00,                          // client id ""
        ], .connect(Connect(version: .v311, cleanStart: true, keepAlive: 60, clientID: ""))),
        GoldenPacket("CONNECT 3.1 MQIsdp", .v31, [
            0x10, 0x11,
            0x00, 0x06, 0x4D, 0x51, 0x49, 0x73, 0x64, 0x70,  // "MQIsdp"
            0x03, 0x02, 0x00, 0x0A,                          // level 3, clean, keep alive 10
            0x00, 0x03, 0x61, 0x62, 0x63,                    // client id "abc"
        ], .connect(Connect(version: .v31, cleanStart: true, keepAlive: 10, clientID: "abc"))),
        GoldenPacket("CONNECT with will QoS 1 retained, user name, password", .v311, [
            0x10, 0x1E,
            0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04,
            0xEE,                    // user, password, will retain, will QoS 1, will, clean
            0x00, 0x00,              // keep alive 0
            0x00, 0x02, 0x63, 0x31,  // client id "c1"
            0x00, 0x03, 0x77, 0x2F, 0x74,  // will topic "w/t"
            0x00, 0x02, 0x01, 0x02,  // will payload
            0x00, 0x01, 0x75,        // user name "u"
            0x00, 0x02, 0x70, 0x77,  // password "pw"
        ], .connect(Connect(version: .v311, cleanStart: true, keepAlive: 0, clientID: "c1",
                            will: Will(topic: GoldenPacket.topic("w/t"), payload: [1, 2], qos: .atLeastOnce, retain: true),
                            username: "u", password: [0x70, 0x77]))),
        GoldenPacket("CONNECT with properties, will properties, user name, password", .v5, [
            0x10, 0x31,
            0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x05,
            0xD6,                                // user, password, will QoS 2, will, clean start
            0x00, 0x3C,
            0x0F,                                // property length 15
            0x11, 0x00, 0x00, 0x00, 0x78,        // Session Expiry Interval 120
            0x21, 0x00, 0x14,                    // Receive Maximum 20
            0x26, 0x00, 0x01, 0x6B, 0x00, 0x01, 0x76,  // User Property k=v
            0x00, 0x01, 0x63,                    // client id "c"
            0x07,                                // will property length 7
            0x01, 0x01,                          // Payload Format Indicator 1
            0x18, 0x00, 0x00, 0x00, 0x05,        // Will Delay Interval 5
            0x00, 0x01, 0x77,                    // will topic "w"
            0x00, 0x01, 0xFF,                    // will payload
            0x00, 0x01, 0x75,                    // user name "u"
            0x00, 0x01, 0x70,                    // password "p"
        ], .connect(GoldenPackets.connectV5())),
        GoldenPacket("CONNECT password without user name (allowed in 5.0)", .v5, [
            0x10, 0x11,
            0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x05,
            0x42, 0x00, 0x00,  // password, clean start; keep alive 0
            0x00,              // no properties
            0x00, 0x01, 0x63,  // client id "c"
            0x00, 0x01, 0x70,  // password "p"
        ], .connect(Connect(version: .v5, cleanStart: true, keepAlive: 0, clientID: "c", password: [0x70]))),
    ]

    static func connectV5() -> Connect {
        var properties = Properties()
        properties.sessionExpiryInterval = 120
        properties.receiveMaximum = 20
        properties.userProperties = [UserProperty("k", "v")]
        var willProperties = Properties()
        willProperties.payloadFormatIndicator = 1
        willProperties.willDelayInterval = 5
        let will = Will(topic: GoldenPacket.topic("w"), payload: [0xFF], qos: .exactlyOnce, retain: false,
                        properties: willProperties)
        return Connect(version: .v5, cleanStart: true, keepAlive: 60, clientID: "c", will: will,
                       username: "u", password: [0x70], properties: properties)
    }

    // MARK: CONNACK (§3.2)

    public static let connAck: [GoldenPacket] = [
        GoldenPacket("CONNACK accepted, session present", .v311, [0x20, 0x02, 0x01, 0x00],
                     .connack(ConnAck(sessionPresent: true, reason: .success))),
        GoldenPacket("CONNACK refused: not authorized (0x05)", .v311, [0x20, 0x02, 0x00, 0x05],
                     .connack(ConnAck(sessionPresent: false, reason: .notAuthorized))),
        GoldenPacket("CONNACK 3.1 refused: identifier rejected (0x02)", .v31, [0x20, 0x02, 0x00, 0x02],
                     .connack(ConnAck(sessionPresent: false, reason: .clientIdentifierNotValid))),
        GoldenPacket("CONNACK success, no properties", .v5, [0x20, 0x03, 0x00, 0x00, 0x00],
                     .connack(ConnAck(sessionPresent: false, reason: .success))),
        GoldenPacket("CONNACK bad user name or password (0x86)", .v5, [0x20, 0x03, 0x00, 0x86, 0x00],
                     .connack(ConnAck(sessionPresent: false, reason: .badUserNameOrPassword))),
        GoldenPacket("CONNACK with every CONNACK property", .v5, [
            0x20, 0x41, 0x01, 0x00,
            0x3E,                                      // property length 62
            0x11, 0x00, 0x00, 0x0E, 0x10,              // Session Expiry Interval 3600
            0x12, 0x00, 0x02, 0x69, 0x64,              // Assigned Client Identifier "id"
            0x13, 0x00, 0x1E,                          // Server Keep Alive 30
            0x15, 0x00, 0x01, 0x6D,                    // Authentication Method "m"
            0x16, 0x00, 0x01, 0xAA,                    // Authentication Data
            0x1A, 0x00, 0x01, 0x72,                    // Response Information "r"
            0x1C, 0x00, 0x01, 0x73,                    // Server Reference "s"
            0x1F, 0x00, 0x02, 0x6F, 0x6B,              // Reason String "ok"
            0x21, 0x00, 0x0A,                          // Receive Maximum 10
            0x22, 0x00, 0x05,                          // Topic Alias Maximum 5
            0x24, 0x01,                                // Maximum QoS 1
            0x25, 0x00,                                // Retain Available 0
            0x26, 0x00, 0x01, 0x61, 0x00, 0x01, 0x62,  // User Property a=b
            0x27, 0x00, 0x00, 0x10, 0x00,              // Maximum Packet Size 4096
            0x28, 0x01,                                // Wildcard Subscription Available
            0x29, 0x01,                                // Subscription Identifier Available
            0x2A, 0x00,                                // Shared Subscription Available 0
        ], .connack(ConnAck(sessionPresent: true, reason: .success, properties: GoldenPackets.connAckProperties()))),
    ]

    static func connAckProperties() -> Properties {
        var properties = Properties()
        properties.sessionExpiryInterval = 3600
        properties.assignedClientIdentifier = "id"
        properties.serverKeepAlive = 30
        properties.authenticationMethod = "m"
        properties.authenticationData = [0xAA]
        properties.responseInformation = "r"
        properties.serverReference = "s"
        properties.reasonString = "ok"
        properties.receiveMaximum = 10
        properties.topicAliasMaximum = 5
        properties.maximumQoS = 1
        properties.retainAvailable = 0
        properties.userProperties = [UserProperty("a", "b")]
        properties.maximumPacketSize = 4096
        properties.wildcardSubscriptionAvailable = 1
        properties.subscriptionIdentifierAvailable = 1
        properties.sharedSubscriptionAvailable = 0
        return properties
    }

    // MARK: PUBLISH (§3.3)

    public static let publish: [GoldenPacket] = [
        GoldenPacket("PUBLISH QoS 0", .v311, [0x30, 0x07, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x68, 0x69],
                     .publish(Publish(qos: .atMostOnce, topic: "a/b", payload: [0x68, 0x69]))),
        GoldenPacket("PUBLISH QoS 1 DUP RETAIN", .v311, [0x3B, 0x06, 0x00, 0x01, 0x61, 0x00, 0x0A, 0x01],
                     .publish(Publish(dup: true, qos: .atLeastOnce, retain: true, topic: "a",
                                      packetID: GoldenPacket.id(10), payload: [0x01]))),
        GoldenPacket("PUBLISH QoS 2 empty payload", .v311, [0x34, 0x05, 0x00, 0x01, 0x74, 0x12, 0x34],
                     .publish(Publish(qos: .exactlyOnce, topic: "t", packetID: GoldenPacket.id(0x1234), payload: []))),
        GoldenPacket("PUBLISH QoS 1", .v31, [0x32, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01],
                     .publish(Publish(qos: .atLeastOnce, topic: "t", packetID: GoldenPacket.id(1), payload: []))),
        GoldenPacket("PUBLISH topic with U+FEFF kept", .v311, [0x30, 0x06, 0x00, 0x04, 0xEF, 0xBB, 0xBF, 0x61],
                     .publish(Publish(qos: .atMostOnce, topic: "\u{FEFF}a", payload: []))),
        GoldenPacket("PUBLISH QoS 0 no properties", .v5, [0x30, 0x05, 0x00, 0x01, 0x74, 0x00, 0x78],
                     .publish(Publish(qos: .atMostOnce, topic: "t", payload: [0x78]))),
        GoldenPacket("PUBLISH QoS 1 with every PUBLISH property", .v5, [
            0x32, 0x2B,
            0x00, 0x01, 0x74, 0x00, 0x01,              // topic "t", packet id 1
            0x24,                                      // property length 36
            0x01, 0x01,                                // Payload Format Indicator 1
            0x02, 0x00, 0x00, 0x00, 0x3C,              // Message Expiry Interval 60
            0x03, 0x00, 0x02, 0x63, 0x74,              // Content Type "ct"
            0x08, 0x00, 0x01, 0x72,                    // Response Topic "r"
            0x09, 0x00, 0x02, 0x01, 0x02,              // Correlation Data
            0x0B, 0x01,                                // Subscription Identifier 1
            0x0B, 0x80, 0x01,                          // Subscription Identifier 128
            0x23, 0x00, 0x03,                          // Topic Alias 3
            0x26, 0x00, 0x01, 0x6B, 0x00, 0x01, 0x76,  // User Property k=v
            0xAB,                                      // payload
        ], .publish(Publish(qos: .atLeastOnce, topic: "t", packetID: GoldenPacket.id(1),
                            properties: GoldenPackets.publishProperties(), payload: [0xAB]))),
        GoldenPacket("PUBLISH QoS 2 DUP RETAIN, empty topic with Topic Alias", .v5, [
            0x3D, 0x08, 0x00, 0x00, 0x00, 0x05, 0x03, 0x23, 0x00, 0x01,
        ], .publish(Publish(dup: true, qos: .exactlyOnce, retain: true, topic: "", packetID: GoldenPacket.id(5),
                            properties: GoldenPackets.topicAlias1(), payload: []))),
    ]

    static func publishProperties() -> Properties {
        var properties = Properties()
        properties.payloadFormatIndicator = 1
        properties.messageExpiryInterval = 60
        properties.contentType = "ct"
        properties.responseTopic = "r"
        properties.correlationData = [1, 2]
        properties.subscriptionIdentifiers = [1, 128]
        properties.topicAlias = 3
        properties.userProperties = [UserProperty("k", "v")]
        return properties
    }

    static func topicAlias1() -> Properties {
        var properties = Properties()
        properties.topicAlias = 1
        return properties
    }
}
