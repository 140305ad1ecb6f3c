import PerchCodec

/// Frames in, reactions out. The traffic packets (PUBLISH and the four acks) are read in
/// place from the input buffer; everything else goes through the PerchCodec decoder.
extension Bench {
    /// Handles every complete frame in `bytes`; returns the number of bytes consumed.
    func process(_ client: Int, _ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count && clients[client].state != .failed {
            switch FrameScanner.next(in: bytes, from: offset) {
            case .needMore:
                return offset
            case .malformed:
                stats.anomalies += 1
                fail(client)
                return bytes.count
            case let .frame(header, body):
                handle(client, header, UnsafeRawBufferPointer(rebasing: bytes[body]))
                offset = body.upperBound
            }
        }
        return offset
    }

    private func handle(_ client: Int, _ header: UInt8, _ body: UnsafeRawBufferPointer) {
        guard let type = PacketType(rawValue: header >> 4) else { anomaly(client); return }
        switch type {
        case .publish: receive(client, header, body)
        case .puback: acked(client, body) { $0.complete($1, expecting: 1); return nil }
        case .pubrec: acked(client, body) { $0.received($1) ? 0x62 : nil }
        case .pubcomp: acked(client, body) { $0.complete($1, expecting: 2); return nil }
        case .pubrel:
            guard body.count >= 2 else { anomaly(client); return }
            clients[client].appendAck(0x70, packetID: packetID(body))  // PUBREL -> PUBCOMP
            markTouched(client)
        case .connack, .suback, .disconnect, .pingresp, .unsuback, .connect, .subscribe, .unsubscribe,
             .pingreq, .auth:
            control(client, header, body)
        }
    }

    /// A decoded control packet (the codec path).
    private func control(_ client: Int, _ header: UInt8, _ body: UnsafeRawBufferPointer) {
        let packet: Packet
        do {
            packet = try Packet(frame: Frame(header: header, body: Array(body)), version: options.version)
        } catch {
            anomaly(client)
            return
        }
        switch packet {
        case let .connack(connack): connAcked(client, connack)
        case let .suback(suback): subAcked(client, suback)
        case .disconnect: fail(client)
        case .pingresp, .unsuback: break
        case .connect, .publish, .puback, .pubrec, .pubrel, .pubcomp, .subscribe, .unsubscribe, .pingreq, .auth:
            anomaly(client)
        }
    }

    /// A PUBLISH for a subscriber: sequence and latency, then PUBACK or PUBREC.
    ///
    ///     topic length (2) | topic | packet id (2, QoS > 0) | properties (VBI + bytes, 5.0) | payload
    private func receive(_ client: Int, _ header: UInt8, _ body: UnsafeRawBufferPointer) {
        guard case let .subscriber(subscriber) = clients[client].role, body.count >= 2 else { anomaly(client); return }
        let qos = (header >> 1) & 0x03
        var position = 2 + (Int(body[0]) << 8 | Int(body[1]))
        var id: UInt16 = 0
        if qos > 0 {
            guard position + 2 <= body.count else { anomaly(client); return }
            id = UInt16(body[position]) << 8 | UInt16(body[position + 1])
            position += 2
        }
        if options.version == .v5 {
            guard case let .frame(_, properties) = FrameScanner.next(in: body, from: position - 1) else {
                anomaly(client)
                return
            }
            position = properties.upperBound  // the VBI scan reads a length then skips it
        }
        guard body.count - position >= Payload.headerSize else { anomaly(client); return }
        let fields = Payload.read(body.baseAddress! + position)
        record(subscriber: subscriber, fields)
        if qos > 0 {
            clients[client].appendAck(qos == 1 ? 0x40 : 0x50, packetID: id)
            markTouched(client)
        }
    }

    private func record(subscriber: Int, _ fields: (time: UInt64, publisher: UInt32, sequence: UInt32)) {
        let publisher = Int(fields.publisher)
        guard publisher < subscribers[subscriber].count else { stats.anomalies += 1; return }
        let before = subscribers[subscriber][publisher].duplicates
        subscribers[subscriber][publisher].record(fields.sequence)
        stats.received += 1
        stats.duplicates += subscribers[subscriber][publisher].duplicates - before
        stats.lastReceive = now
        if now >= stats.measureStart && now < stats.measureEnd {
            stats.receivedInWindow += 1
            // Every arrival in the window counts, also those sent during the warm-up: under
            // overload that backlog is exactly the latency a subscriber sees.
            stats.latency.record(now >= fields.time ? now - fields.time : 0)
        }
    }

    /// PUBACK / PUBREC / PUBCOMP for a publisher; `react` returns the header of an answer (PUBREL).
    private func acked(_ client: Int, _ body: UnsafeRawBufferPointer, _ react: (inout Publisher, UInt16) -> UInt8?) {
        guard case let .publisher(publisher) = clients[client].role, body.count >= 2 else { anomaly(client); return }
        let id = packetID(body)
        if let answer = react(&publishers[publisher], id) {
            clients[client].appendAck(answer, packetID: id)
            markTouched(client)
        }
    }

    private func packetID(_ body: UnsafeRawBufferPointer) -> UInt16 {
        UInt16(body[0]) << 8 | UInt16(body[1])
    }

    private func anomaly(_ client: Int) {
        stats.anomalies += 1
    }
}
