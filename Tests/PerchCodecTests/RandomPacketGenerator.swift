import PerchCodec

/// SplitMix64: a tiny seeded generator, so a failing round trip can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random packets that are valid for one version: every value the decoder must give back
/// exactly after encoding. Reason-code and property tables are written from the spec
/// (Tables 2-4, 3-1, 3-4 … 3-11), not taken from the codec.
struct RandomPacketGenerator {
    var rng: SeededGenerator
    let version: ProtocolVersion

    mutating func bool() -> Bool { Bool.random(using: &rng) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func pick<T>(_ choices: [T]) -> T { choices[int(0...(choices.count - 1))] }
    mutating func bytes(_ range: ClosedRange<Int> = 0...6) -> [UInt8] { (0..<int(range)).map { _ in UInt8(int(0...255)) } }
    mutating func id() -> PacketID { PacketID(UInt16(int(1...0xFFFF)))! }
    mutating func qos() -> QoS { pick(QoS.allCases) }

    /// Strings mixing ASCII, multi-byte scalars, U+FEFF and control characters; never U+0000.
    mutating func string(_ range: ClosedRange<Int> = 0...5) -> String {
        let pieces = ["a", "Z", "0", " ", "/", "é", "€", "😀", "\u{FEFF}", "\u{1}", "\u{7F}", "日本", "x"]
        return (0..<int(range)).map { _ in pick(pieces) }.joined()
    }

    mutating func topicName() -> String {
        (version != .v5 || int(0...9) > 0) ? string(1...5) : ""  // empty only in v5 (Topic Alias)
    }

    mutating func filter() -> TopicFilter {
        let filters = ["a", "a/b", "#", "+", "a/+/c", "+/#", "$SYS/#", "é/€", "$share/g/a/#", "$share/😀/+", "/"]
        return TopicFilter(validating: pick(filters))!
    }

    mutating func reason(_ table: [UInt8]) -> ReasonCode { ReasonCode(rawValue: pick(table))! }

    mutating func packet() -> Packet {
        switch int(0...(version == .v5 ? 14 : 13)) {
        case 0: return .connect(connect())
        case 1: return .connack(connAck())
        case 2: return .publish(publish())
        case 3: return .puback(ack([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]))
        case 4: return .pubrec(ack([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]))
        case 5: return .pubrel(ack([0x00, 0x92]))
        case 6: return .pubcomp(ack([0x00, 0x92]))
        case 7: return .subscribe(subscribe())
        case 8: return .suback(subAck())
        case 9: return .unsubscribe(Unsubscribe(packetID: id(), filters: (0..<int(1...3)).map { _ in string() },
                                                properties: properties(.unsubscribe)))
        case 10: return .unsuback(unsubAck())
        case 11: return .pingreq
        case 12: return .pingresp
        case 13: return .disconnect(disconnect())
        default: return .auth(Auth(reason: reason([0x00, 0x18, 0x19]), properties: properties(.auth)))
        }
    }

    mutating func connect() -> Connect {
        var will: Will?
        if bool() {
            will = Will(topic: try! TopicName(validating: string(1...4)), payload: bytes(), qos: qos(), retain: bool(),
                        properties: properties(.will))
        }
        let username = bool() ? string() : nil
        // 3.1/3.1.1: no password without a user name [v311 client MQTT-3.1.2-22].
        let password = (username != nil || version == .v5) && bool() ? bytes() : nil
        return Connect(version: version, cleanStart: bool(), keepAlive: UInt16(int(0...0xFFFF)), clientID: string(),
                       will: will, username: username, password: password, properties: properties(.connect))
    }

    mutating func connAck() -> ConnAck {
        guard version == .v5 else {
            // 3.1 has no Session Present flag.
            return ConnAck(sessionPresent: version == .v311 && bool(), reason: reason([0x00, 0x84, 0x85, 0x88, 0x86, 0x87]))
        }
        let table: [UInt8] = [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95,
                              0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F]
        return ConnAck(sessionPresent: bool(), reason: reason(table), properties: properties(.connack))
    }

    mutating func publish() -> Publish {
        let qos = qos()
        return Publish(dup: qos != .atMostOnce && bool(), qos: qos, retain: bool(), topic: topicName(),
                       packetID: qos == .atMostOnce ? nil : id(), properties: properties(.publish), payload: bytes(0...20))
    }

    mutating func ack(_ table: [UInt8]) -> PubAck {
        guard version == .v5 else { return PubAck(packetID: id()) }
        return PubAck(packetID: id(), reason: reason(table), properties: properties(.pubAck))
    }

    mutating func subscribe() -> Subscribe {
        let entries: [SubscribeEntry] = (0..<int(1...4)).map { _ in
            if int(0...5) == 0 { return .invalidFilter(pick(["a/#/b", "a+", "$share/g", "sport#"])) }
            let filter = filter()
            guard version == .v5 else { return .valid(Subscription(filter: filter, qos: qos())) }
            return .valid(Subscription(filter: filter, qos: qos(), noLocal: filter.shareName == nil && bool(),
                                       retainAsPublished: bool(), retainHandling: pick([.sendOnSubscribe, .sendOnNewSubscribe, .doNotSend])))
        }
        return Subscribe(packetID: id(), entries: entries, properties: properties(.subscribe))
    }

    mutating func subAck() -> SubAck {
        let table: [UInt8] = version == .v5
            ? [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2] : [0x00, 0x01, 0x02, 0x80]
        return SubAck(packetID: id(), reasons: (0..<int(1...4)).map { _ in reason(table) }, properties: properties(.suback))
    }

    mutating func unsubAck() -> UnsubAck {
        guard version == .v5 else { return UnsubAck(packetID: id()) }
        let reasons = (0..<int(1...3)).map { _ in reason([0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91]) }
        return UnsubAck(packetID: id(), reasons: reasons, properties: properties(.unsuback))
    }

    mutating func disconnect() -> Disconnect {
        guard version == .v5 else { return Disconnect() }
        let table: [UInt8] = [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
                              0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2]
        return Disconnect(reason: reason(table), properties: properties(.disconnect))
    }
}
