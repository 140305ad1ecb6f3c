import PerchBroker
import PerchCodec

extension StoreRecord {
    /// Decodes one record body (its CRC already checked). `fileVersion` 1: a retained
    /// message record has no retain and origin flags.
    static func decode(_ r: inout RecordReader, clocks: Clocks, fileVersion: UInt16) throws(StoreError) -> StoreRecord {
        let kindByte = try r.integer(UInt8.self, what: "record kind")
        guard let kind = Kind(rawValue: kindByte) else { throw r.corrupt("unknown record kind \(kindByte)") }
        let record: StoreRecord
        switch kind {
        case .end: record = .end(count: Int(try r.integer(UInt32.self, what: "end record")))
        case .retain:
            let message = try decodeMessage(&r, clocks: clocks, forceRetain: fileVersion == 1)
            guard !message.topic.string.isEmpty else { throw r.corrupt("empty topic") }
            record = .retain(message)
        case .clearRetained: record = .clearRetained(try r.string(what: "topic"))
        case .session: record = .session(try decodeSession(&r, clocks: clocks))
        case .sessionEnded: record = .sessionEnded(try r.string(what: "client id"))
        }
        guard r.position == r.end else { throw r.corrupt("record longer than its content") }
        return record
    }

    static func decodeQoS(_ r: inout RecordReader) throws(StoreError) -> QoS {
        let byte = try r.integer(UInt8.self, what: "qos")
        guard let qos = QoS(rawValue: byte) else { throw r.corrupt("bad QoS \(byte)") }
        return qos
    }

    static func decodeMessage(_ r: inout RecordReader, clocks: Clocks, forceRetain: Bool = false) throws(StoreError) -> Message {
        let qos = try decodeQoS(&r)
        let flags = try r.integer(UInt8.self, what: "flags")
        let topic = try r.string(what: "topic")
        let payload = try r.binary(what: "payload")
        let expiry = flags & Flag.expiry != 0 ? clocks.monotonic(wall: try r.wall(what: "expiry")) : nil
        let properties = try decodeProperties(&r, flags: flags)
        let origin = flags & Flag.origin != 0 ? try r.string(what: "origin") : nil
        return Message(topic: TopicName(unchecked: topic), payload: payload, qos: qos,
                       retain: forceRetain || flags & Flag.retain != 0, properties: properties, expiry: expiry,
                       origin: origin)
    }

    static func decodeProperties(_ r: inout RecordReader, flags: UInt8) throws(StoreError) -> Properties {
        var p = Properties()
        if flags & Flag.payloadFormat != 0 { p.payloadFormatIndicator = try r.integer(UInt8.self, what: "format") }
        if flags & Flag.contentType != 0 { p.contentType = try r.string(what: "content type") }
        if flags & Flag.responseTopic != 0 { p.responseTopic = try r.string(what: "response topic") }
        if flags & Flag.correlationData != 0 {
            let n = Int(try r.integer(UInt16.self, what: "correlation data"))
            p.correlationData = Array(try r.bytes(n, what: "correlation data"))
        }
        let count = Int(try r.integer(UInt16.self, what: "user properties"))
        for _ in 0..<count {
            let name = try r.string(what: "user property")
            p.userProperties.append(UserProperty(name, try r.string(what: "user property")))
        }
        return p
    }

    static func decodeSession(_ r: inout RecordReader, clocks: Clocks) throws(StoreError) -> DurableSession {
        let clientID = try r.string(what: "client id")
        let versionByte = try r.integer(UInt8.self, what: "version")
        guard let version = ProtocolVersion(rawValue: versionByte) else { throw r.corrupt("bad version \(versionByte)") }
        let interval = try r.integer(UInt32.self, what: "expiry interval")
        let flags = try r.integer(UInt8.self, what: "session flags")
        let expiresAt = flags & 1 != 0 ? clocks.monotonic(wall: try r.wall(what: "expiry")) : nil
        var will: Will?
        var willDueAt: Timestamp?
        if flags & 2 != 0 {
            willDueAt = clocks.monotonic(wall: try r.wall(what: "will due"))
            will = try decodeWill(&r)
        }
        var subscriptions: [DurableSubscription] = []
        for _ in 0..<Int(try r.integer(UInt32.self, what: "subscriptions")) {
            subscriptions.append(try decodeSubscription(&r))
        }
        var inbound: [UInt16] = []
        for _ in 0..<Int(try r.integer(UInt32.self, what: "inbound ids")) {
            inbound.append(try r.integer(UInt16.self, what: "inbound id"))
        }
        var deliveries: [DurableDelivery] = []
        for _ in 0..<Int(try r.integer(UInt32.self, what: "deliveries")) {
            deliveries.append(try decodeDelivery(&r, clocks: clocks))
        }
        return DurableSession(clientID: clientID, version: version, expiryInterval: interval, expiresAt: expiresAt,
                              subscriptions: subscriptions, deliveries: deliveries, inboundQoS2: inbound,
                              delayedWill: will, willDueAt: willDueAt)
    }

    static func decodeDelivery(_ r: inout RecordReader, clocks: Clocks) throws(StoreError) -> DurableDelivery {
        let stageByte = try r.integer(UInt8.self, what: "stage")
        let shared = stageByte & sharedDeliveryBit != 0
        guard let stage = DurableDelivery.Stage(rawValue: stageByte & ~sharedDeliveryBit) else {
            throw r.corrupt("bad stage \(stageByte)")
        }
        let packetID = try r.integer(UInt16.self, what: "packet id")
        let qos = try decodeQoS(&r)
        let retain = try r.integer(UInt8.self, what: "retain") != 0
        var ids: [UInt32] = []
        for _ in 0..<Int(try r.integer(UInt16.self, what: "subscription ids")) {
            ids.append(try r.integer(UInt32.self, what: "subscription id"))
        }
        let message = try decodeMessage(&r, clocks: clocks)
        var share: (filter: String, group: String)?
        if shared { share = (try r.string(what: "share filter"), try r.string(what: "share group")) }
        return DurableDelivery(message: message, qos: qos, retain: retain, subscriptionIdentifiers: ids,
                               packetID: packetID, stage: stage, share: share)
    }

    static func decodeWill(_ r: inout RecordReader) throws(StoreError) -> Will {
        let qos = try decodeQoS(&r)
        let flags = try r.integer(UInt8.self, what: "will flags")
        let topic = try r.string(what: "will topic")
        let payload = try r.binary(what: "will payload")
        let delay = try r.integer(UInt32.self, what: "will delay")
        let interval = flags & Flag.expiryInterval != 0 ? try r.integer(UInt32.self, what: "will expiry") : nil
        var properties = try decodeProperties(&r, flags: flags)
        properties.willDelayInterval = delay
        properties.messageExpiryInterval = interval
        return Will(topic: TopicName(unchecked: topic), payload: payload, qos: qos, retain: flags & Flag.retain != 0,
                    properties: properties)
    }

    static func decodeSubscription(_ r: inout RecordReader) throws(StoreError) -> DurableSubscription {
        let filter = try r.string(what: "filter")
        let qos = try decodeQoS(&r)
        let options = try r.integer(UInt8.self, what: "subscription options")
        guard let handling = RetainHandling(rawValue: (options >> 2) & 3) else { throw r.corrupt("bad retain handling") }
        let identifier = options & 0x10 != 0 ? try r.integer(UInt32.self, what: "subscription id") : nil
        let share = options & 0x20 != 0 ? try r.string(what: "share name") : nil
        return DurableSubscription(filter: filter, qos: qos, noLocal: options & 1 != 0,
                                   retainAsPublished: options & 2 != 0, retainHandling: handling,
                                   identifier: identifier, shareName: share)
    }
}
