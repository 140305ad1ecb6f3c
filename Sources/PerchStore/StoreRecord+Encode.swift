import PerchBroker
import PerchCodec

extension StoreRecord {
    /// Appends the record (length, CRC, body) to `out`; `scratch` is reused for the body.
    package func encode(clocks: Clocks, into out: inout [UInt8], scratch body: inout [UInt8]) {
        body.removeAll(keepingCapacity: true)
        switch self {
        case .end(let count):
            body.append(Kind.end.rawValue)
            body.appendBig(UInt32(truncatingIfNeeded: count))
        case .retain(let message):
            body.append(Kind.retain.rawValue)
            Self.encodeMessage(message, clocks: clocks, into: &body)
        case .clearRetained(let topic):
            body.append(Kind.clearRetained.rawValue)
            body.appendString(topic)
        case .session(let session):
            body.append(Kind.session.rawValue)
            Self.encodeSession(session, clocks: clocks, into: &body)
        case .sessionEnded(let clientID):
            body.append(Kind.sessionEnded.rawValue)
            body.appendString(clientID)
        }
        out.appendBig(UInt32(body.count))
        out.appendBig(CRC32.checksum(body))
        out.append(contentsOf: body)
    }

    static func encodeMessage(_ message: Message, clocks: Clocks, into body: inout [UInt8]) {
        let p = message.properties
        var flags: UInt8 = 0
        if message.expiry != nil { flags |= Flag.expiry }
        if p.payloadFormatIndicator != nil { flags |= Flag.payloadFormat }
        if p.contentType != nil { flags |= Flag.contentType }
        if p.responseTopic != nil { flags |= Flag.responseTopic }
        if p.correlationData != nil { flags |= Flag.correlationData }
        if message.origin != nil { flags |= Flag.origin }
        if message.retain { flags |= Flag.retain }
        body.append(message.qos.rawValue)
        body.append(flags)
        body.appendString(message.topic.string)
        body.appendBinary(message.payload)
        if let expiry = message.expiry { body.appendBig(UInt64(bitPattern: clocks.wall(expiry))) }
        encodeProperties(p, into: &body)
        if let origin = message.origin { body.appendString(origin) }
    }

    /// The optional properties a message or Will carries, in flag order, then User Properties.
    static func encodeProperties(_ p: Properties, into body: inout [UInt8]) {
        if let format = p.payloadFormatIndicator { body.append(format) }
        if let content = p.contentType { body.appendString(content) }
        if let response = p.responseTopic { body.appendString(response) }
        if let data = p.correlationData {
            body.appendBig(UInt16(truncatingIfNeeded: data.count))
            body.append(contentsOf: data)
        }
        body.appendBig(UInt16(truncatingIfNeeded: p.userProperties.count))
        for property in p.userProperties {
            body.appendString(property.name)
            body.appendString(property.value)
        }
    }

    static func encodeSession(_ s: DurableSession, clocks: Clocks, into body: inout [UInt8]) {
        body.appendString(s.clientID)
        body.append(s.version.rawValue)
        body.appendBig(s.expiryInterval)
        let will = s.delayedWill
        body.append((s.expiresAt != nil ? 1 : 0) | (will != nil ? 2 : 0))
        if let expiresAt = s.expiresAt { body.appendBig(UInt64(bitPattern: clocks.wall(expiresAt))) }
        if let will {
            body.appendBig(UInt64(bitPattern: clocks.wall(s.willDueAt ?? clocks.monotonic)))
            encodeWill(will, into: &body)
        }
        let subscriptions = s.subscriptions
        body.appendBig(UInt32(subscriptions.count))
        for sub in subscriptions { encodeSubscription(sub, into: &body) }
        let inbound = s.inboundQoS2
        body.appendBig(UInt32(inbound.count))
        for id in inbound { body.appendBig(id) }
        let deliveries = s.deliveries
        body.appendBig(UInt32(deliveries.count))
        for d in deliveries {
            body.append(d.stage.rawValue | (d.share != nil ? sharedDeliveryBit : 0))
            body.appendBig(d.packetID)
            body.append(d.qos.rawValue)
            body.append(d.retain ? 1 : 0)
            body.appendBig(UInt16(truncatingIfNeeded: d.subscriptionIdentifiers.count))
            for id in d.subscriptionIdentifiers { body.appendBig(id) }
            encodeMessage(d.message, clocks: clocks, into: &body)
            if let share = d.share {
                body.appendString(share.filter)
                body.appendString(share.group)
            }
        }
    }

    static func encodeWill(_ will: Will, into body: inout [UInt8]) {
        let p = will.properties
        var flags: UInt8 = will.retain ? Flag.retain : 0
        if p.payloadFormatIndicator != nil { flags |= Flag.payloadFormat }
        if p.contentType != nil { flags |= Flag.contentType }
        if p.responseTopic != nil { flags |= Flag.responseTopic }
        if p.correlationData != nil { flags |= Flag.correlationData }
        if p.messageExpiryInterval != nil { flags |= Flag.expiryInterval }
        body.append(will.qos.rawValue)
        body.append(flags)
        body.appendString(will.topic.string)
        body.appendBinary(will.payload)
        body.appendBig(p.willDelayInterval ?? 0)
        if let interval = p.messageExpiryInterval { body.appendBig(interval) }
        encodeProperties(p, into: &body)
    }

    static func encodeSubscription(_ sub: DurableSubscription, into body: inout [UInt8]) {
        body.appendString(sub.filter)
        body.append(sub.qos.rawValue)
        var options: UInt8 = (sub.noLocal ? 1 : 0) | (sub.retainAsPublished ? 2 : 0)
        options |= sub.retainHandling.rawValue << 2
        if sub.identifier != nil { options |= 0x10 }
        if sub.shareName != nil { options |= 0x20 }
        body.append(options)
        if let id = sub.identifier { body.appendBig(id) }
        if let share = sub.shareName { body.appendString(share) }
    }
}
