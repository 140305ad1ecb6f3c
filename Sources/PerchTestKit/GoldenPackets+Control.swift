import PerchCodec

extension GoldenPackets {
    // MARK: PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4 – §3.7)

    public static let acknowledgements: [GoldenPacket] = ackPackets311(.v311) + ackPackets311(.v31) + [
        GoldenPacket("PUBACK success, short form", .v5, [0x40, 0x02, 0x00, 0x01], .puback(PubAck(packetID: GoldenPacket.id(1)))),
        GoldenPacket("PUBACK no matching subscribers, reason only", .v5, [0x40, 0x03, 0x00, 0x01, 0x10],
                     .puback(PubAck(packetID: GoldenPacket.id(1), reason: .noMatchingSubscribers))),
        GoldenPacket("PUBREC unspecified error with Reason String", .v5,
                     [0x50, 0x09, 0x00, 0x02, 0x80, 0x05, 0x1F, 0x00, 0x02, 0x6E, 0x6F],
                     .pubrec(PubAck(packetID: GoldenPacket.id(2), reason: .unspecifiedError,
                                    properties: reasonString("no")))),
        GoldenPacket("PUBREL packet identifier not found", .v5, [0x62, 0x03, 0x00, 0x03, 0x92],
                     .pubrel(PubAck(packetID: GoldenPacket.id(3), reason: .packetIdentifierNotFound))),
        GoldenPacket("PUBREL success", .v5, [0x62, 0x02, 0x00, 0x03], .pubrel(PubAck(packetID: GoldenPacket.id(3)))),
        GoldenPacket("PUBCOMP success with User Property", .v5,
                     [0x70, 0x0B, 0x00, 0x04, 0x00, 0x07, 0x26, 0x00, 0x01, 0x61, 0x00, 0x01, 0x62],
                     .pubcomp(PubAck(packetID: GoldenPacket.id(4), properties: userProperty("a", "b")))),
    ]

    static func ackPackets311(_ version: ProtocolVersion) -> [GoldenPacket] {
        [
            GoldenPacket("PUBACK", version, [0x40, 0x02, 0x00, 0x01], .puback(PubAck(packetID: GoldenPacket.id(1)))),
            GoldenPacket("PUBREC", version, [0x50, 0x02, 0x00, 0x02], .pubrec(PubAck(packetID: GoldenPacket.id(2)))),
            GoldenPacket("PUBREL", version, [0x62, 0x02, 0x00, 0x03], .pubrel(PubAck(packetID: GoldenPacket.id(3)))),
            GoldenPacket("PUBCOMP", version, [0x70, 0x02, 0xFF, 0xFF],
                         .pubcomp(PubAck(packetID: GoldenPacket.id(0xFFFF)))),
        ]
    }

    // MARK: SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (§3.8 – §3.11)

    public static let subscriptions: [GoldenPacket] = [
        GoldenPacket("SUBSCRIBE two filters", .v311, [
            0x82, 0x0E, 0x00, 0x0A,
            0x00, 0x03, 0x61, 0x2F, 0x62, 0x01,  // "a/b" QoS 1
            0x00, 0x03, 0x63, 0x2F, 0x23, 0x02,  // "c/#" QoS 2
        ], .subscribe(Subscribe(packetID: GoldenPacket.id(10), entries: [
            .valid(Subscription(filter: GoldenPacket.filter("a/b"), qos: .atLeastOnce)),
            .valid(Subscription(filter: GoldenPacket.filter("c/#"), qos: .exactlyOnce)),
        ]))),
        GoldenPacket("SUBSCRIBE invalid filter kept", .v311, [
            0x82, 0x0A, 0x00, 0x01, 0x00, 0x05, 0x61, 0x2F, 0x23, 0x2F, 0x62, 0x00,  // "a/#/b" QoS 0
        ], .subscribe(Subscribe(packetID: GoldenPacket.id(1), entries: [.invalidFilter("a/#/b")]))),
        GoldenPacket("SUBSCRIBE with options and properties", .v5, [
            0x82, 0x1F, 0x00, 0x0B,
            0x09, 0x0B, 0x05, 0x26, 0x00, 0x01, 0x6B, 0x00, 0x01, 0x76,  // Subscription Identifier 5, k=v
            0x00, 0x03, 0x61, 0x2F, 0x2B, 0x2D,  // "a/+": QoS 1, No Local, RAP, Retain Handling 2
            0x00, 0x0A, 0x24, 0x73, 0x68, 0x61, 0x72, 0x65, 0x2F, 0x67, 0x2F, 0x78,  // "$share/g/x"
            0x12,                                // QoS 2, Retain Handling 1
        ], .subscribe(Subscribe(packetID: GoldenPacket.id(11), entries: [
            .valid(Subscription(filter: GoldenPacket.filter("a/+"), qos: .atLeastOnce, noLocal: true,
                                retainAsPublished: true, retainHandling: .doNotSend)),
            .valid(Subscription(filter: GoldenPacket.filter("$share/g/x"), qos: .exactlyOnce,
                                retainHandling: .sendOnNewSubscribe)),
        ], properties: subscribeProperties()))),
        GoldenPacket("SUBACK granted and failure", .v311, [0x90, 0x06, 0x00, 0x0A, 0x00, 0x01, 0x02, 0x80],
                     .suback(SubAck(packetID: GoldenPacket.id(10),
                                    reasons: [.success, .grantedQoS1, .grantedQoS2, .unspecifiedError]))),
        GoldenPacket("SUBACK with failure codes", .v5, [0x90, 0x07, 0x00, 0x0B, 0x00, 0x01, 0x87, 0x8F, 0xA2],
                     .suback(SubAck(packetID: GoldenPacket.id(11),
                                    reasons: [.grantedQoS1, .notAuthorized, .topicFilterInvalid,
                                              .wildcardSubscriptionsNotSupported]))),
        GoldenPacket("UNSUBSCRIBE two filters", .v311,
                     [0xA2, 0x0A, 0x00, 0x0C, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x01, 0x63],
                     .unsubscribe(Unsubscribe(packetID: GoldenPacket.id(12), filters: ["a/b", "c"]))),
        GoldenPacket("UNSUBSCRIBE", .v5, [0xA2, 0x06, 0x00, 0x0D, 0x00, 0x00, 0x01, 0x78],
                     .unsubscribe(Unsubscribe(packetID: GoldenPacket.id(13), filters: ["x"]))),
        GoldenPacket("UNSUBACK", .v311, [0xB0, 0x02, 0x00, 0x0C], .unsuback(UnsubAck(packetID: GoldenPacket.id(12)))),
        GoldenPacket("SUBSCRIBE", .v31, [0x82, 0x06, 0x00, 0x02, 0x00, 0x01, 0x23, 0x00],  // "#" QoS 0
                     .subscribe(Subscribe(packetID: GoldenPacket.id(2), entries: [
                         .valid(Subscription(filter: GoldenPacket.filter("#"), qos: .atMostOnce)),
                     ]))),
        GoldenPacket("SUBACK", .v31, [0x90, 0x03, 0x00, 0x02, 0x00],
                     .suback(SubAck(packetID: GoldenPacket.id(2), reasons: [.success]))),
        GoldenPacket("UNSUBSCRIBE", .v31, [0xA2, 0x05, 0x00, 0x0C, 0x00, 0x01, 0x23],
                     .unsubscribe(Unsubscribe(packetID: GoldenPacket.id(12), filters: ["#"]))),
        GoldenPacket("UNSUBACK", .v31, [0xB0, 0x02, 0x00, 0x0C], .unsuback(UnsubAck(packetID: GoldenPacket.id(12)))),
        GoldenPacket("UNSUBACK with failure codes and Reason String", .v5,
                     [0xB0, 0x0A, 0x00, 0x0D, 0x04, 0x1F, 0x00, 0x01, 0x78, 0x00, 0x11, 0x87],
                     .unsuback(UnsubAck(packetID: GoldenPacket.id(13), reasons: [.success, .noSubscriptionExisted, .notAuthorized],
                                        properties: reasonString("x")))),
    ]

    static func subscribeProperties() -> Properties {
        var properties = userProperty("k", "v")
        properties.subscriptionIdentifiers = [5]
        return properties
    }

    // MARK: PINGREQ, PINGRESP, DISCONNECT, AUTH (§3.12 – §3.15)

    public static let control: [GoldenPacket] = ProtocolVersion.allCases.flatMap { version in
        [
            GoldenPacket("PINGREQ", version, [0xC0, 0x00], .pingreq),
            GoldenPacket("PINGRESP", version, [0xD0, 0x00], .pingresp),
            GoldenPacket("DISCONNECT", version, [0xE0, 0x00], .disconnect(Disconnect())),
        ]
    } + [
        GoldenPacket("DISCONNECT with Will Message, reason only", .v5, [0xE0, 0x01, 0x04],
                     .disconnect(Disconnect(reason: .disconnectWithWill))),
        GoldenPacket("DISCONNECT normal with Session Expiry Interval", .v5, [0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00],
                     .disconnect(Disconnect(reason: .success, properties: sessionExpiry(0)))),
        GoldenPacket("DISCONNECT server shutting down with Server Reference and Reason String", .v5,
                     [0xE0, 0x0A, 0x8B, 0x08, 0x1C, 0x00, 0x01, 0x73, 0x1F, 0x00, 0x01, 0x62],
                     .disconnect(Disconnect(reason: .serverShuttingDown, properties: serverShutdownProperties()))),
        GoldenPacket("AUTH success, short form", .v5, [0xF0, 0x00], .auth(Auth())),
        GoldenPacket("AUTH continue with method and data", .v5,
                     [0xF0, 0x0B, 0x18, 0x09, 0x15, 0x00, 0x01, 0x6D, 0x16, 0x00, 0x02, 0x01, 0x02],
                     .auth(Auth(reason: .continueAuthentication, properties: authProperties()))),
        GoldenPacket("AUTH re-authenticate, reason only", .v5, [0xF0, 0x01, 0x19], .auth(Auth(reason: .reAuthenticate))),
    ]

    static func reasonString(_ string: String) -> Properties {
        var properties = Properties()
        properties.reasonString = string
        return properties
    }

    static func userProperty(_ name: String, _ value: String) -> Properties {
        var properties = Properties()
        properties.userProperties = [UserProperty(name, value)]
        return properties
    }

    static func sessionExpiry(_ seconds: UInt32) -> Properties {
        var properties = Properties()
        properties.sessionExpiryInterval = seconds
        return properties
    }

    static func serverShutdownProperties() -> Properties {
        var properties = reasonString("b")
        properties.serverReference = "s"
        return properties
    }

    static func authProperties() -> Properties {
        var properties = Properties()
        properties.authenticationMethod = "m"
        properties.authenticationData = [1, 2]
        return properties
    }
}
