import PerchCodec

/// Outbound flows: in-flight windows, queues, redelivery, and the acks that advance them.
///
///     deliver ─▶ QoS 0: send now (online) or drop
///             └▶ QoS 1/2: room, online, no burst? ─ yes ▶ new packet id, send, in flight
///                                                 └─ no  ▶ bounded queue (or drop)
///     SUBSCRIBE ─▶ retained burst ─▶ pumpRetained (QoS 1/2 by the window, QoS 0 by drains)
///     PUBACK / PUBCOMP / failed PUBREC ─▶ free the id ─▶ pump: the burst, then the queue
extension Broker {
    func deliver(_ delivery: Delivery, to handle: Int) {
        if isReadDenied(delivery.message.topic, session: handle) { return }
        if delivery.qos == .atMostOnce {
            guard let connection = sessions[handle].connection else {
                statisticsStorage.droppedMessages += 1 // QoS 0 is not queued offline (mosquitto default)
                return
            }
            transmit(delivery, packetID: nil, dup: false, to: connection, session: handle)
            return
        }
        if sessions[handle].connection != nil && sessions[handle].queue.isEmpty && (retainedBursts.isEmpty || retainedBursts[handle] == nil)
            && sessions[handle].inflight.count < sessions[handle].window {
            noteDurable(handle)
            start(delivery, session: handle)
        } else {
            enqueue(delivery, session: handle) // [MQTT-3.1.2-5] [v5 MQTT-3.3.4-9]
        }
    }

    /// Whether the ACL or the authorizer refuses the session this topic (counted); read is
    /// checked for every delivery, retained ones too.
    func isReadDenied(_ topic: TopicName, session handle: Int) -> Bool {
        guard hasACL || authorizer != nil, !mayRead(topic, session: handle) else { return false }
        statisticsStorage.deniedDeliveries += 1
        return true
    }

    /// Sends what the session's retained burst may send now: QoS 1/2 while the window has
    /// room, QoS 0 within the byte budget (then it asks for `.outputDrained`), in order.
    /// A message replaced or cleared since the SUBSCRIBE is skipped (the subscriber got its
    /// successor live), and so is one the session may no longer read (an ACL reload).
    func pumpRetained(_ handle: Int) {
        guard !retainedBursts.isEmpty, let connection = sessions[handle].connection,
              var burst = retainedBursts.removeValue(forKey: handle) else { return }
        var started = false
        while let next = burst.queue.first {
            if retained.current(next.message.topic.string) !== next.message || isReadDenied(next.message.topic, session: handle) {
                _ = burst.queue.popFirst()
                continue
            }
            if next.qos == .atMostOnce {
                guard burst.budget > 0 else {
                    if !burst.awaitingDrain { drainRequests.append(connection) }
                    burst.awaitingDrain = true
                    break
                }
                burst.budget -= next.message.payload.count + next.message.topic.string.utf8.count + 16
                _ = burst.queue.popFirst()
                transmit(next, packetID: nil, dup: false, to: connection, session: handle)
            } else {
                guard sessions[handle].inflight.count < sessions[handle].window else { break }
                _ = burst.queue.popFirst()
                start(next, session: handle)
                started = true
            }
        }
        if started { noteDurable(handle) }
        if !burst.queue.isEmpty { retainedBursts[handle] = burst }
    }

    /// `.outputDrained`: a new budget for the connection's retained burst.
    func outputDrained(_ id: ConnectionID) {
        guard let handle = connections[id]?.client?.session, retainedBursts[handle] != nil else { return }
        refillRetainedBudget(handle)
        pump(handle) // the burst's next part, and the queue once it is over
    }

    /// A full QoS 0 budget (after a drain, or for a new connection of the session).
    func refillRetainedBudget(_ handle: Int) {
        guard !retainedBursts.isEmpty else { return }
        retainedBursts[handle]?.budget = configuration.retainedBurstBytes
        retainedBursts[handle]?.awaitingDrain = false
    }

    /// Hands the transport the connections whose retained burst waits for their output to
    /// drain: it reports each with `.outputDrained` once its pending output is low.
    public func takeDrainRequests(into ids: inout [ConnectionID]) {
        guard !drainRequests.isEmpty else { return }
        ids += drainRequests
        drainRequests.removeAll(keepingCapacity: true)
    }

    private func enqueue(_ delivery: Delivery, session handle: Int) {
        let queue = sessions[handle].queue
        let fullByCount = configuration.maxQueuedMessages > 0 && queue.count >= configuration.maxQueuedMessages
        let fullByBytes = configuration.maxQueuedBytes > 0
            && queue.bytes + delivery.message.payload.count > configuration.maxQueuedBytes
        guard !fullByCount && !fullByBytes else {
            statisticsStorage.droppedMessages += 1
            statisticsStorage.queueOverflows += 1
            return // nothing changed: no new image of the session to write
        }
        noteDurable(handle)
        sessions[handle].queue.append(delivery)
        if sessions[handle].queue.count == backlogHigh, let connection = sessions[handle].connection {
            newlyBacklogged.append(connection)
        }
    }

    /// Queued messages from which a connected session holds its publishers back: half of
    /// `max_queued_messages` (1,000 without one), so that they slow before anything drops.
    var backlogHigh: Int { configuration.maxQueuedMessages > 0 ? max(1, configuration.maxQueuedMessages / 2) : 1000 }

    /// Whether a queue filled to `backlogHigh` since the last `takeBacklogged` (the
    /// transport ends its batch at once, so that the publishers stop within a packet).
    public var hasNewBacklog: Bool { !newlyBacklogged.isEmpty }

    /// Hands the transport the connections whose queue filled to `backlogHigh` since the
    /// last call: it stops reading the other connections (their publishers) while they
    /// drain, as it does for a reader whose output fills (back-pressure before loss).
    public func takeBacklogged(into ids: inout [ConnectionID]) {
        guard !newlyBacklogged.isEmpty else { return }
        ids += newlyBacklogged
        newlyBacklogged.removeAll(keepingCapacity: true)
    }

    /// Whether the connection's session still holds more than half `backlogHigh` queued
    /// (the backlog ends below that, so that it does not flap at one message).
    public func isBacklogged(_ id: ConnectionID) -> Bool {
        guard let handle = connections[id]?.client?.session else { return false }
        return sessions[handle].queue.count > backlogHigh / 2
    }

    /// Sends a QoS 1/2 delivery under a fresh packet id and records it in flight. An expired
    /// or oversized message is dropped instead and its id freed (as if delivered,
    /// [v5 MQTT-3.1.2-25]).
    private func start(_ delivery: Delivery, session handle: Int) {
        guard let connection = sessions[handle].connection else { return }
        let packetID = sessions[handle].inflight.allocateID() // [v311 MQTT-2.3.1-4] [v5 MQTT-2.2.1-4]
        sessions[handle].inflight.insert(delivery, id: packetID)
        if !transmit(delivery, packetID: packetID, dup: false, to: connection, session: handle) {
            sessions[handle].inflight.remove(packetID)
        }
    }

    /// Fills the window: first in-flight messages still waiting to be resent after a
    /// reconnect, then the rest of a retained burst, then queued deliveries.
    func pump(_ handle: Int) {
        guard let connection = sessions[handle].connection else { return }
        while sessions[handle].inflight.sentCount < sessions[handle].window,
              let (packetID, entry) = sessions[handle].inflight.firstUnsent {
            sessions[handle].inflight.setUnsent(false, packetID)
            if !transmit(entry.delivery, packetID: packetID, dup: true, to: connection, session: handle) {
                sessions[handle].inflight.remove(packetID) // too large for this connection: as if delivered
            }
        }
        pumpRetained(handle)
        guard retainedBursts.isEmpty || retainedBursts[handle] == nil else { return } // live messages after the burst
        while sessions[handle].inflight.count < sessions[handle].window, let delivery = sessions[handle].queue.popFirst() {
            start(delivery, session: handle)
        }
    }

    /// On reconnect with a session: PUBRELs and unacknowledged PUBLISHes again (DUP=1),
    /// original ids, original order [MQTT-4.4.0-1] [v5 MQTT-4.4.0-1] [MQTT-4.3.3-1]. A
    /// PUBLISH beyond the new connection's window waits (marked unsent) for `pump`.
    func resendInflight(_ handle: Int) {
        guard let connection = sessions[handle].connection else { return }
        let ordered = sessions[handle].inflight.ordered
        var room = sessions[handle].window - ordered.filter { $0.1.stage == .awaitingPubComp }.count
        for (packetID, entry) in ordered {
            switch entry.stage {
            case .awaitingPubAck, .awaitingPubRec:
                guard room > 0 else {
                    sessions[handle].inflight.setUnsent(true, packetID)
                    continue
                }
                room -= 1
                if !transmit(entry.delivery, packetID: packetID, dup: true, to: connection, session: handle) {
                    sessions[handle].inflight.remove(packetID) // too large for the new connection: as if delivered
                }
            case .awaitingPubComp:
                send(.pubrel(PubAck(packetID: packetID)), to: connection)
            }
        }
    }

    /// Builds and sends the PUBLISH (subscription ids, remaining expiry); drops it when
    /// expired before its first send [v5 MQTT-3.3.2-5] (a redelivery has begun already and
    /// completes, [v5 MQTT-4.3.3-7]) or larger than the client's Maximum Packet Size
    /// [v5 MQTT-3.1.2-24]. Returns whether it was sent.
    @discardableResult
    private func transmit(_ delivery: Delivery, packetID: PacketID?, dup: Bool, to connection: ConnectionID,
                          session handle: Int) -> Bool {
        let version = sessions[handle].version
        let maximumPacketSize = sessions[handle].maximumPacketSize
        guard var properties = outboundProperties(delivery, dup: dup, version: version) else {
            statisticsStorage.droppedMessages += 1
            return false
        }
        let sentTopic = unmounted(delivery.message.topic.string, for: connection)
        var topic = sentTopic
        let newAlias = applyOutboundAlias(to: &topic, properties: &properties, session: handle)
        let publish = Publish(dup: dup, qos: delivery.qos, retain: delivery.retain, topic: topic,
                              packetID: packetID, properties: properties, payload: delivery.message.payload)
        if maximumPacketSize > 0, Packet.publish(publish).encodedSize(version: version) > Int(maximumPacketSize) {
            statisticsStorage.droppedMessages += 1 // [v5 MQTT-3.1.2-25]
            return false
        }
        if let newAlias { sessions[handle].outboundAliases[ExactString(sentTopic)] = newAlias }
        statisticsStorage.messagesSent += 1
        send(.publish(publish), to: connection)
        return true
    }

    /// Outbound Topic Alias (v5 §3.3.2.3.4): a topic with an alias goes as alias only
    /// (empty topic); a new topic takes the next free alias while any is left and goes in
    /// full with it; after that, new topics go in full without one. Aliases never exceed
    /// the client's Topic Alias Maximum, and none are sent when it is 0 or absent
    /// [v5 MQTT-3.1.2-26] [v5 MQTT-3.1.2-27] [v5 MQTT-3.3.2-11]. Returns an alias to record
    /// once the packet is really sent.
    private func applyOutboundAlias(to topic: inout String, properties: inout Properties, session handle: Int) -> UInt16? {
        let limit = sessions[handle].outboundAliasLimit
        guard limit > 0 else { return nil }
        if let alias = sessions[handle].outboundAliases[ExactString(topic)] {
            properties.topicAlias = alias
            topic = ""
            return nil
        }
        let used = sessions[handle].outboundAliases.count
        guard used < Int(limit) else { return nil }
        let alias = UInt16(used + 1)
        properties.topicAlias = alias
        return alias
    }

    /// The properties of an outbound PUBLISH: the message's, its subscription ids and the
    /// remaining expiry (v5 only; 3.1.1 gets none). Nil when the message expired before
    /// its first send.
    private func outboundProperties(_ delivery: Delivery, dup: Bool, version: ProtocolVersion) -> Properties? {
        var remaining: UInt32?
        if let expiry = delivery.message.expiry {
            if now < expiry {
                remaining = UInt32((expiry.milliseconds - now.milliseconds) / 1000) // [v5 MQTT-3.3.2-6]
            } else if !dup {
                return nil
            }
        }
        guard version == .v5 else { return Properties() }
        var properties = delivery.message.properties
        properties.subscriptionIdentifiers = delivery.subscriptionIdentifiers
        if delivery.message.expiry != nil { properties.messageExpiryInterval = remaining }
        return properties
    }

    func handlePubAck(_ ack: PubAck, session handle: Int) {
        guard sessions[handle].inflight.stage(of: ack.packetID) == .awaitingPubAck else { return }
        sessions[handle].inflight.remove(ack.packetID) // [MQTT-4.3.2-3]
        noteDurable(handle)
        pump(handle)
    }

    /// PUBREC: answer PUBREL (and never resend the PUBLISH) [MQTT-4.3.3-1]; a v5 failure
    /// code ends the flow [v5 MQTT-4.4.0-2]. Unknown id: PUBREL anyway (v5 0x92).
    func handlePubRec(_ ack: PubAck, session handle: Int) {
        guard let connection = sessions[handle].connection else { return }
        switch sessions[handle].inflight.stage(of: ack.packetID) {
        case .awaitingPubRec?, .awaitingPubComp?:
            noteDurable(handle)
            if ack.reason.isFailure {
                sessions[handle].inflight.remove(ack.packetID)
                pump(handle)
                return
            }
            sessions[handle].inflight.setStage(.awaitingPubComp, of: ack.packetID)
            send(.pubrel(PubAck(packetID: ack.packetID)), to: connection)
        case .awaitingPubAck?, nil:
            let reason: ReasonCode = sessions[handle].version == .v5 ? .packetIdentifierNotFound : .success
            let properties = diagnostics(reason, session: handle)
            sendFitted(.pubrel(PubAck(packetID: ack.packetID, reason: reason, properties: properties)), to: connection,
                       session: handle)
        }
    }

    func handlePubComp(_ ack: PubAck, session handle: Int) {
        guard sessions[handle].inflight.stage(of: ack.packetID) == .awaitingPubComp else { return }
        sessions[handle].inflight.remove(ack.packetID) // [MQTT-2.3.1-4]
        noteDurable(handle)
        pump(handle)
    }
}
