/// Decoding the body of every packet type but CONNECT (see `Packet+DecodeConnect.swift`)
/// and the subscription packets (`Packet+DecodeSubscribe.swift`). Every packet type is
/// decoded in both directions: test clients decode what the broker sends.
extension Packet {
    static func decodeBody(
        _ type: PacketType, flags: UInt8, version: ProtocolVersion, from reader: inout ByteReader
    ) throws(DecodeError) -> Packet {
        switch type {
        case .connect: return .connect(try Connect(from: &reader))
        case .connack: return .connack(try ConnAck(from: &reader, version: version))
        case .publish: return .publish(try Publish(from: &reader, flags: flags, version: version))
        case .puback: return .puback(try PubAck(from: &reader, version: version, allowed: ReasonCode.pubAckCodes))
        case .pubrec: return .pubrec(try PubAck(from: &reader, version: version, allowed: ReasonCode.pubAckCodes))
        case .pubrel: return .pubrel(try PubAck(from: &reader, version: version, allowed: ReasonCode.pubRelCodes))
        case .pubcomp: return .pubcomp(try PubAck(from: &reader, version: version, allowed: ReasonCode.pubRelCodes))
        case .subscribe: return .subscribe(try Subscribe(from: &reader, version: version))
        case .suback: return .suback(try SubAck(from: &reader, version: version))
        case .unsubscribe: return .unsubscribe(try Unsubscribe(from: &reader, version: version))
        case .unsuback: return .unsuback(try UnsubAck(from: &reader, version: version))
        case .pingreq: return .pingreq  // Remaining Length 0, checked by the caller's expectEnd
        case .pingresp: return .pingresp
        case .disconnect: return .disconnect(try Disconnect(from: &reader, version: version))
        case .auth:
            guard version == .v5 else { throw .malformed("AUTH (type 15) is forbidden before MQTT 5") }  // Table 2.1
            return .auth(try Auth(from: &reader))
        }
    }
}

extension PacketID {
    /// Reads a Packet Identifier; 0 is a Protocol Error [MQTT-2.3.1-1] (v5 §2.2.1).
    static func read(from reader: inout ByteReader) throws(DecodeError) -> PacketID {
        guard let id = PacketID(try reader.readUInt16("packet identifier")) else {
            throw .protocolError("packet identifier 0")  // [MQTT-2.3.1-1]
        }
        return id
    }
}

extension ConnAck {
    init(from reader: inout ByteReader, version: ProtocolVersion) throws(DecodeError) {
        let flags = try reader.readByte("CONNACK flags")
        guard flags & 0xFE == 0 else { throw .malformed("CONNACK flag bits 7-1 set") }  // [v5 MQTT-3.2.2-1]
        guard version == .v5 else {
            let raw = try reader.readByte("CONNACK return code")
            guard let code = ConnectReturnCode311(rawValue: raw) else {
                throw .protocolError("reserved CONNACK return code \(raw)")  // v3.1.1 Table 3.1
            }
            // 3.1 has no Session Present: the byte is reserved, as the encoder writes it.
            self.init(sessionPresent: flags == 1 && version != .v31, reason: ReasonCode(code))
            return
        }
        let reason = try reader.readReason(allowed: ReasonCode.connAckCodes, "CONNACK reason code")
        let properties = try Properties(from: &reader, context: .connack)
        self.init(sessionPresent: flags == 1, reason: reason, properties: properties)
    }
}

extension Publish {
    /// Topic Name, Packet Identifier iff QoS > 0, v5 properties, payload (the rest).
    init(from reader: inout ByteReader, flags: UInt8, version: ProtocolVersion) throws(DecodeError) {
        // QoS 3 was rejected with the fixed-header flags.
        let qos = QoS(rawValue: (flags >> 1) & 0x03) ?? .exactlyOnce
        let topic = try reader.readString("topic name")  // [MQTT-3.3.2-1] [MQTT-1.5.3-1] [MQTT-1.5.4-1]
        guard TopicName.hasNoWildcards(topic.utf8) else {
            throw .protocolError("wildcard in PUBLISH topic name")  // [MQTT-3.3.2-2]
        }
        guard !topic.isEmpty || version == .v5 else {
            throw .protocolError("empty PUBLISH topic name")  // [v311 MQTT-4.7.3-1]; v5: Topic Alias, broker's check
        }
        let packetID = qos == .atMostOnce ? nil : try PacketID.read(from: &reader)  // [MQTT-2.3.1-1]
        let properties = version == .v5 ? try Properties(from: &reader, context: .publish) : Properties()
        self.init(dup: flags & 0x08 != 0, qos: qos, retain: flags & 0x01 != 0, topic: topic,
                  packetID: packetID, properties: properties, payload: reader.readRest())
    }
}

extension PubAck {
    /// Packet Identifier; v5: Remaining Length 2 → Success, 3 → reason only, ≥ 4 → reason and
    /// properties (§3.4.2.1). A reason outside the packet's table is a Protocol Error.
    init(from reader: inout ByteReader, version: ProtocolVersion, allowed: [ReasonCode]) throws(DecodeError) {
        let packetID = try PacketID.read(from: &reader)
        guard version == .v5, !reader.isAtEnd else {
            self.init(packetID: packetID)
            return
        }
        let reason = try reader.readReason(allowed: allowed, "acknowledgement reason code")
        let properties = reader.isAtEnd ? Properties() : try Properties(from: &reader, context: .pubAck)
        self.init(packetID: packetID, reason: reason, properties: properties)
    }
}

extension Disconnect {
    /// v3.1/3.1.1: no body. v5: Remaining Length 0 → Normal disconnection, 1 → reason only.
    init(from reader: inout ByteReader, version: ProtocolVersion) throws(DecodeError) {
        guard version == .v5, !reader.isAtEnd else {
            self.init()
            return
        }
        let reason = try reader.readReason(allowed: ReasonCode.disconnectCodes, "DISCONNECT reason code")
        let properties = reader.isAtEnd ? Properties() : try Properties(from: &reader, context: .disconnect)
        self.init(reason: reason, properties: properties)
    }
}

extension Auth {
    /// Remaining Length 0 → Success; reasons only 0x00, 0x18, 0x19 [v5 MQTT-3.15.2-1].
    init(from reader: inout ByteReader) throws(DecodeError) {
        guard !reader.isAtEnd else {
            self.init()
            return
        }
        let reason = try reader.readReason(allowed: ReasonCode.authCodes, "AUTH reason code")
        let properties = reader.isAtEnd ? Properties() : try Properties(from: &reader, context: .auth)
        self.init(reason: reason, properties: properties)
    }
}
