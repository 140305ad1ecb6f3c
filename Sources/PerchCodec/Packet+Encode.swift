/// Encoding packet bodies. One generic `writeBody` per packet serves both passes of
/// `encode`: counting (for the Remaining Length and the reservation) and writing.
///
/// 3.1/3.1.1: no properties and no reason codes where the packet has none on the wire;
/// fixed-header flags exactly as Table 2.2 [v311 MQTT-2.2.2-1].
extension Packet {
    /// The first byte: type in the high nibble, flags in the low one (Table 2-2).
    var fixedHeaderByte: UInt8 {
        let flags: UInt8
        switch self {
        case let .publish(publish):
            // DUP only on QoS 1/2 [MQTT-3.3.1-2].
            let dup: UInt8 = publish.dup && publish.qos != .atMostOnce ? 0x08 : 0
            flags = dup | publish.qos.rawValue << 1 | (publish.retain ? 0x01 : 0)
        case .pubrel, .subscribe, .unsubscribe:
            flags = 0b0010  // [MQTT-3.6.1-1] [MQTT-3.8.1-1] [MQTT-3.10.1-1]
        case .connect, .connack, .puback, .pubrec, .pubcomp, .suback, .unsuback, .pingreq, .pingresp,
             .disconnect, .auth:
            flags = 0
        }
        return type.rawValue << 4 | flags
    }

    func writeBody<Sink: ByteSink>(version: ProtocolVersion, to sink: inout Sink) {
        switch self {
        case let .connect(connect): connect.write(to: &sink)
        case let .connack(connAck): connAck.write(version: version, to: &sink)
        case let .publish(publish): publish.write(version: version, to: &sink)
        case let .puback(ack), let .pubrec(ack), let .pubrel(ack), let .pubcomp(ack):
            sink.writeUInt16(ack.packetID.rawValue)
            if version == .v5 { sink.writeOptionalReason(ack.reason, ack.properties) }
        case let .subscribe(subscribe): subscribe.write(version: version, to: &sink)
        case let .suback(subAck): subAck.write(version: version, to: &sink)
        case let .unsubscribe(unsubscribe): unsubscribe.write(version: version, to: &sink)
        case let .unsuback(unsubAck): unsubAck.write(version: version, to: &sink)
        case .pingreq, .pingresp: break
        case let .disconnect(disconnect):
            if version == .v5 { sink.writeOptionalReason(disconnect.reason, disconnect.properties) }
        case let .auth(auth):
            // AUTH exists only in 5.0; for older versions only the empty fixed header is written.
            if version == .v5 { sink.writeOptionalReason(auth.reason, auth.properties) }
        }
    }
}

extension ByteSink {
    /// v5 acknowledgements, DISCONNECT and AUTH: nothing when Success without properties,
    /// the reason alone when there are no properties, else reason and properties
    /// (§3.4.2.1, §3.14.2.1, §3.15.2.1).
    fileprivate mutating func writeOptionalReason(_ reason: ReasonCode, _ properties: Properties) {
        let hasProperties = !properties.isEmpty
        guard reason != .success || hasProperties else { return }
        append(reason.rawValue)
        if hasProperties { properties.write(to: &self) }
    }
}

extension ConnAck {
    fileprivate func write<Sink: ByteSink>(version: ProtocolVersion, to sink: inout Sink) {
        // 3.1 has no Session Present: the byte is reserved and written as 0.
        sink.append(sessionPresent && version != .v31 ? 1 : 0)
        guard version == .v5 else {
            // 3.1.1 has fewer codes; one without a fitting code falls back to Server unavailable.
            sink.append(ConnectReturnCode311(reason)?.rawValue ?? ConnectReturnCode311.serverUnavailable.rawValue)
            return
        }
        sink.append(reason.rawValue)
        properties.write(to: &sink)
    }
}

extension Publish {
    fileprivate func write<Sink: ByteSink>(version: ProtocolVersion, to sink: inout Sink) {
        sink.writeString(topic)
        if qos != .atMostOnce {  // no Packet Identifier on QoS 0 [MQTT-2.3.1-5]
            sink.writeUInt16(packetID?.rawValue ?? 0)
        }
        if version == .v5 { properties.write(to: &sink) }
        sink.append(contentsOf: payload)
    }
}

extension Subscribe {
    fileprivate func write<Sink: ByteSink>(version: ProtocolVersion, to sink: inout Sink) {
        sink.writeUInt16(packetID.rawValue)
        if version == .v5 { properties.write(to: &sink) }
        for entry in entries {
            switch entry {
            case let .valid(subscription):
                sink.writeString(subscription.filter.string)
                sink.append(subscription.optionsByte(version: version))
            case let .invalidFilter(filter):
                sink.writeString(filter)
                sink.append(0)
            }
        }
    }
}

extension Subscription {
    /// QoS in bits 0-1; v5 adds No Local (2), Retain As Published (3), Retain Handling (4-5).
    fileprivate func optionsByte(version: ProtocolVersion) -> UInt8 {
        guard version == .v5 else { return qos.rawValue }
        return qos.rawValue | (noLocal ? 0x04 : 0) | (retainAsPublished ? 0x08 : 0) | retainHandling.rawValue << 4
    }
}

extension SubAck {
    fileprivate func write<Sink: ByteSink>(version: ProtocolVersion, to sink: inout Sink) {
        sink.writeUInt16(packetID.rawValue)
        guard version == .v5 else {
            for reason in reasons {
                // 0x00-0x02 as they are, every other code as 0x80 [v311 MQTT-3.9.3-2].
                sink.append(reason.rawValue <= 0x02 ? reason.rawValue : 0x80)
            }
            return
        }
        properties.write(to: &sink)
        for reason in reasons { sink.append(reason.rawValue) }
    }
}

extension Unsubscribe {
    fileprivate func write<Sink: ByteSink>(version: ProtocolVersion, to sink: inout Sink) {
        sink.writeUInt16(packetID.rawValue)
        if version == .v5 { properties.write(to: &sink) }
        for filter in filters { sink.writeString(filter) }
    }
}

extension UnsubAck {
    fileprivate func write<Sink: ByteSink>(version: ProtocolVersion, to sink: inout Sink) {
        sink.writeUInt16(packetID.rawValue)
        guard version == .v5 else { return }  // no reasons in 3.1/3.1.1
        properties.write(to: &sink)
        for reason in reasons { sink.append(reason.rawValue) }
    }
}
