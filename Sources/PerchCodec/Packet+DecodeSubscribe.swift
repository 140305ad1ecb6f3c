/// Decoding SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK.
///
/// A SUBSCRIBE filter that is valid UTF-8 but syntactically wrong (`a/#/b`, `a+`, a broken
/// `$share/` form) does not fail the packet: it becomes `.invalidFilter` so the broker can
/// refuse that one filter in the SUBACK.
extension Subscribe {
    init(from reader: inout ByteReader, version: ProtocolVersion) throws(DecodeError) {
        let packetID = try PacketID.read(from: &reader)
        let properties = version == .v5 ? try Properties(from: &reader, context: .subscribe) : Properties()
        var entries: [SubscribeEntry] = []
        while !reader.isAtEnd {
            let filter = try reader.readString("topic filter")  // [MQTT-1.5.3-1] [MQTT-1.5.4-1]
            let options = try reader.readByte("subscription options")
            entries.append(try Subscribe.entry(filter: filter, options: options, version: version))
        }
        guard !entries.isEmpty else {
            throw .protocolError("SUBSCRIBE without topic filters")  // [v311 MQTT-3.8.3-3], v5 §3.8.3
        }
        self.init(packetID: packetID, entries: entries, properties: properties)
    }

    /// Subscription options (v5 §3.8.3.1):
    ///
    ///     bit  7 6 | 5 4             | 3                 | 2        | 1 0
    ///          0 0 | Retain Handling | Retain As Publ.   | No Local | QoS
    ///
    /// 3.1/3.1.1 has only the QoS bits.
    private static func entry(filter: String, options: UInt8, version: ProtocolVersion) throws(DecodeError)
        -> SubscribeEntry
    {
        let qosBits = options & 0x03
        guard version == .v5 else {
            guard options & 0xFC == 0, qosBits != 3 else {
                throw .malformed("reserved bits or QoS 3 in requested QoS")  // [v311 MQTT-3-8.3-4]
            }
            return entry(filter: filter, qos: QoS(rawValue: qosBits) ?? .atMostOnce)
        }
        guard options & 0xC0 == 0 else { throw .malformed("reserved subscription option bits") }  // [v5 MQTT-3.8.3-5]
        guard let qos = QoS(rawValue: qosBits) else { throw .protocolError("subscription QoS 3") }  // v5 §3.8.3.1
        guard let retainHandling = RetainHandling(rawValue: (options >> 4) & 0x03) else {
            throw .protocolError("Retain Handling 3")  // v5 §3.8.3.1
        }
        let noLocal = options & 0x04 != 0
        guard let topicFilter = TopicFilter(validating: filter) else { return .invalidFilter(filter) }
        guard !(noLocal && topicFilter.shareName != nil) else {
            throw .protocolError("No Local on a shared subscription")  // [v5 MQTT-3.8.3-4]
        }
        return .valid(Subscription(filter: topicFilter, qos: qos, noLocal: noLocal,
                                   retainAsPublished: options & 0x08 != 0, retainHandling: retainHandling))
    }

    private static func entry(filter: String, qos: QoS) -> SubscribeEntry {
        guard let topicFilter = TopicFilter(validating: filter) else { return .invalidFilter(filter) }
        return .valid(Subscription(filter: topicFilter, qos: qos))
    }
}

extension SubAck {
    init(from reader: inout ByteReader, version: ProtocolVersion) throws(DecodeError) {
        let packetID = try PacketID.read(from: &reader)
        let properties = version == .v5 ? try Properties(from: &reader, context: .subAck) : Properties()
        let allowed = version == .v5 ? ReasonCode.subAckCodes : ReasonCode.subAckCodes311
        var reasons: [ReasonCode] = []
        reasons.reserveCapacity(reader.remaining)
        while !reader.isAtEnd {
            reasons.append(try reader.readReason(allowed: allowed, "SUBACK reason code"))  // [MQTT-3.9.3-2]
        }
        guard !reasons.isEmpty else { throw .protocolError("SUBACK without reason codes") }  // §3.9.3
        self.init(packetID: packetID, reasons: reasons, properties: properties)
    }
}

extension Unsubscribe {
    init(from reader: inout ByteReader, version: ProtocolVersion) throws(DecodeError) {
        let packetID = try PacketID.read(from: &reader)
        let properties = version == .v5 ? try Properties(from: &reader, context: .unsubscribe) : Properties()
        var filters: [String] = []
        while !reader.isAtEnd {
            filters.append(try reader.readString("topic filter"))  // [MQTT-1.5.3-1] [MQTT-1.5.4-1]
        }
        guard !filters.isEmpty else {
            throw .protocolError("UNSUBSCRIBE without topic filters")  // [v311 MQTT-3.10.3-2], v5 §3.10.3
        }
        self.init(packetID: packetID, filters: filters, properties: properties)
    }
}

extension UnsubAck {
    /// v3.1/3.1.1: the packet identifier only. v5: properties and one reason per filter.
    init(from reader: inout ByteReader, version: ProtocolVersion) throws(DecodeError) {
        let packetID = try PacketID.read(from: &reader)
        guard version == .v5 else {
            self.init(packetID: packetID)
            return
        }
        let properties = try Properties(from: &reader, context: .unsubAck)
        var reasons: [ReasonCode] = []
        reasons.reserveCapacity(reader.remaining)
        while !reader.isAtEnd {
            reasons.append(try reader.readReason(allowed: ReasonCode.unsubAckCodes, "UNSUBACK reason code"))
        }
        guard !reasons.isEmpty else { throw .protocolError("UNSUBACK without reason codes") }  // v5 §3.11.3
        self.init(packetID: packetID, reasons: reasons, properties: properties)
    }
}
