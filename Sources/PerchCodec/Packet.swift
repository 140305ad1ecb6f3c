/// Every MQTT control packet of 3.1, 3.1.1 and 5.0, decoded.
///
/// Packets are plain values; the wire format differs by `ProtocolVersion` (properties and
/// reason codes exist only in 5.0), so decoding and encoding take the connection's version.
/// Fields that exist only in 5.0 are ignored when encoding for 3.1/3.1.1.
public enum Packet: Sendable, Hashable {
    case connect(Connect)
    case connack(ConnAck)
    case publish(Publish)
    case puback(PubAck)
    case pubrec(PubAck)
    case pubrel(PubAck)
    case pubcomp(PubAck)
    case subscribe(Subscribe)
    case suback(SubAck)
    case unsubscribe(Unsubscribe)
    case unsuback(UnsubAck)
    case pingreq
    case pingresp
    case disconnect(Disconnect)
    case auth(Auth)

    /// The 4-bit packet type of the fixed header.
    public var type: PacketType {
        switch self {
        case .connect: return .connect
        case .connack: return .connack
        case .publish: return .publish
        case .puback: return .puback
        case .pubrec: return .pubrec
        case .pubrel: return .pubrel
        case .pubcomp: return .pubcomp
        case .subscribe: return .subscribe
        case .suback: return .suback
        case .unsubscribe: return .unsubscribe
        case .unsuback: return .unsuback
        case .pingreq: return .pingreq
        case .pingresp: return .pingresp
        case .disconnect: return .disconnect
        case .auth: return .auth
        }
    }
}

/// Fixed-header packet types (Table 2-1). 0 is forbidden; 15 (AUTH) exists only in 5.0.
public enum PacketType: UInt8, Sendable, Hashable {
    case connect = 1, connack, publish, puback, pubrec, pubrel, pubcomp
    case subscribe, suback, unsubscribe, unsuback, pingreq, pingresp, disconnect, auth
}

/// CONNECT (§3.1). The decoder validates flags and field presence; the broker decides
/// client-id policy, authentication and session handling.
public struct Connect: Sendable, Hashable {
    public var version: ProtocolVersion
    public var cleanStart: Bool           // Clean Session in 3.1.1
    public var keepAlive: UInt16          // seconds; 0 = off
    public var clientID: String           // may be empty
    public var will: Will?
    public var username: String?
    public var password: [UInt8]?
    public var properties: Properties

    public init(version: ProtocolVersion, cleanStart: Bool, keepAlive: UInt16, clientID: String,
                will: Will? = nil, username: String? = nil, password: [UInt8]? = nil,
                properties: Properties = Properties()) {
        self.version = version
        self.cleanStart = cleanStart
        self.keepAlive = keepAlive
        self.clientID = clientID
        self.will = will
        self.username = username
        self.password = password
        self.properties = properties
    }
}

/// The Will of a CONNECT: published by the broker when the connection ends without a
/// normal DISCONNECT.
public struct Will: Sendable, Hashable {
    public var topic: TopicName
    public var payload: [UInt8]
    public var qos: QoS
    public var retain: Bool
    public var properties: Properties   // Will Properties (v5)

    public init(topic: TopicName, payload: [UInt8], qos: QoS, retain: Bool, properties: Properties = Properties()) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
    }
}

/// CONNACK (§3.2). `reason` is an MQTT 5 code; for 3.1/3.1.1 the encoder writes
/// `ConnectReturnCode311(reason)`.
public struct ConnAck: Sendable, Hashable {
    public var sessionPresent: Bool
    public var reason: ReasonCode
    public var properties: Properties

    public init(sessionPresent: Bool, reason: ReasonCode, properties: Properties = Properties()) {
        self.sessionPresent = sessionPresent
        self.reason = reason
        self.properties = properties
    }
}

/// PUBLISH (§3.3). `topic` is the raw Topic Name: the decoder has checked UTF-8, U+0000 and
/// wildcards; it may be empty in 5.0 when a Topic Alias stands in (the broker resolves it).
/// `packetID` is nil exactly when `qos` is 0.
public struct Publish: Sendable, Hashable {
    public var dup: Bool
    public var qos: QoS
    public var retain: Bool
    public var topic: String
    public var packetID: PacketID?
    public var properties: Properties
    public var payload: [UInt8]

    public init(dup: Bool = false, qos: QoS, retain: Bool = false, topic: String, packetID: PacketID? = nil,
                properties: Properties = Properties(), payload: [UInt8]) {
        self.dup = dup
        self.qos = qos
        self.retain = retain
        self.topic = topic
        self.packetID = packetID
        self.properties = properties
        self.payload = payload
    }
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP (§3.4–3.7): a packet id, and in 5.0 a reason code and
/// properties (both omitted on the wire when Success with no properties).
public struct PubAck: Sendable, Hashable {
    public var packetID: PacketID
    public var reason: ReasonCode
    public var properties: Properties

    public init(packetID: PacketID, reason: ReasonCode = .success, properties: Properties = Properties()) {
        self.packetID = packetID
        self.reason = reason
        self.properties = properties
    }
}

/// Retain Handling option of a v5 subscription (§3.8.3.1).
public enum RetainHandling: UInt8, Sendable, Hashable {
    case sendOnSubscribe = 0
    case sendOnNewSubscribe = 1
    case doNotSend = 2
}

/// One entry of a SUBSCRIBE payload. In 3.1.1 only `qos` is on the wire.
public struct Subscription: Sendable, Hashable {
    public var filter: TopicFilter
    public var qos: QoS
    public var noLocal: Bool
    public var retainAsPublished: Bool
    public var retainHandling: RetainHandling

    public init(filter: TopicFilter, qos: QoS, noLocal: Bool = false, retainAsPublished: Bool = false,
                retainHandling: RetainHandling = .sendOnSubscribe) {
        self.filter = filter
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
    }
}

/// A SUBSCRIBE entry whose filter failed validation. The decoder keeps it (instead of
/// failing the whole packet) so the broker can answer that filter with a failure code
/// in the SUBACK while granting the others.
public enum SubscribeEntry: Sendable, Hashable {
    case valid(Subscription)
    case invalidFilter(String)
}

/// SUBSCRIBE (§3.8): at least one entry (an empty one is rejected by the decoder).
public struct Subscribe: Sendable, Hashable {
    public var packetID: PacketID
    public var entries: [SubscribeEntry]
    public var properties: Properties

    public init(packetID: PacketID, entries: [SubscribeEntry], properties: Properties = Properties()) {
        self.packetID = packetID
        self.entries = entries
        self.properties = properties
    }
}

/// SUBACK (§3.9): one code per SUBSCRIBE entry, in order. For 3.1.1 the encoder writes
/// 0x00–0x02 as they are and every failure code as 0x80 (MQTT-3.9.3-2).
public struct SubAck: Sendable, Hashable {
    public var packetID: PacketID
    public var reasons: [ReasonCode]
    public var properties: Properties

    public init(packetID: PacketID, reasons: [ReasonCode], properties: Properties = Properties()) {
        self.packetID = packetID
        self.reasons = reasons
        self.properties = properties
    }
}

/// UNSUBSCRIBE (§3.10): the filters exactly as sent (compared literally, MQTT-3.10.4-1).
public struct Unsubscribe: Sendable, Hashable {
    public var packetID: PacketID
    public var filters: [String]
    public var properties: Properties

    public init(packetID: PacketID, filters: [String], properties: Properties = Properties()) {
        self.packetID = packetID
        self.filters = filters
        self.properties = properties
    }
}

/// UNSUBACK (§3.11). `reasons` exist on the wire only in 5.0.
public struct UnsubAck: Sendable, Hashable {
    public var packetID: PacketID
    public var reasons: [ReasonCode]
    public var properties: Properties

    public init(packetID: PacketID, reasons: [ReasonCode] = [], properties: Properties = Properties()) {
        self.packetID = packetID
        self.reasons = reasons
        self.properties = properties
    }
}

/// DISCONNECT (§3.14). In 3.1/3.1.1 it has no body, and only the client sends it.
public struct Disconnect: Sendable, Hashable {
    public var reason: ReasonCode
    public var properties: Properties

    public init(reason: ReasonCode = .success, properties: Properties = Properties()) {
        self.reason = reason
        self.properties = properties
    }
}

/// AUTH (§3.15, 5.0 only).
public struct Auth: Sendable, Hashable {
    public var reason: ReasonCode
    public var properties: Properties

    public init(reason: ReasonCode = .success, properties: Properties = Properties()) {
        self.reason = reason
        self.properties = properties
    }
}
