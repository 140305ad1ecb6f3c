import PerchCodec

/// Inbound PUBLISH and PUBREL, and routing one message to its subscribers.
///
/// QoS 2 messages are delivered when the PUBLISH arrives (the spec allows either point,
/// MQTT §4.3.3 method A); the id is kept until PUBREL so a repeat is only re-PUBREC'd.
extension Broker {
    func handlePublish(_ publish: Publish, on id: ConnectionID, client: ConnectedClient) {
        if let reason = publishViolation(publish, client: client) {
            violation(reason, on: id)
            return
        }
        guard let topic = resolveTopic(publish, on: id, client: client) else { return }
        let handle = client.session
        if publish.qos == .exactlyOnce, let packetID = publish.packetID,
           sessions[handle].inboundQoS2.contains(packetID.rawValue) {
            send(.pubrec(PubAck(packetID: packetID)), to: id) // [MQTT-4.3.3-2] [v5 MQTT-4.3.3-10]
            return
        }
        let reason = mayPublish(topic, client: client) ? payloadRefusal(publish, version: client.version) : .notAuthorized
        if reason == .success {
            statisticsStorage.messagesReceived += 1
            route(message(from: publish, topic: topic, origin: sessions[handle].clientID))
        }
        acknowledge(publish, reason: reason, on: id, session: handle)
    }

    /// Checks that close the connection (v5 DISCONNECT codes of §3.3).
    private func publishViolation(_ publish: Publish, client: ConnectedClient) -> ReasonCode? {
        if publish.qos > configuration.maximumQoS { return .qosNotSupported } // §3.3.1.2
        if publish.retain && !configuration.retainAvailable { return .retainNotSupported } // §3.3.1.3
        guard client.version == .v5 else { return nil }
        if !publish.properties.subscriptionIdentifiers.isEmpty { return .protocolError } // §3.3.4
        if let responseTopic = publish.properties.responseTopic, !isTopicName(responseTopic) {
            return .protocolError // a Topic Name: not empty, no wildcards [v5 MQTT-3.3.2-14]
        }
        if publish.qos > .atMostOnce, let packetID = publish.packetID,
           !sessions[client.session].inboundQoS2.contains(packetID.rawValue),
           sessions[client.session].inboundQoS2.count >= Int(configuration.receiveMaximum) {
            return .receiveMaximumExceeded // §3.3.4 (client duty [v5 MQTT-3.3.4-7])
        }
        return nil
    }

    /// The topic name, resolving or setting a v5 Topic Alias (§3.3.2.3.4); nil after a
    /// violation closed the connection.
    private func resolveTopic(_ publish: Publish, on id: ConnectionID, client: ConnectedClient) -> TopicName? {
        guard client.version == .v5, let alias = publish.properties.topicAlias else {
            guard !publish.topic.isEmpty else {
                violation(.protocolError, on: id) // [MQTT-4.7.3-1]
                return nil
            }
            return TopicName(unchecked: publish.topic)
        }
        guard alias > 0, alias <= configuration.topicAliasMaximum else {
            violation(.topicAliasInvalid, on: id) // §3.3.2.3.4
            return nil
        }
        if publish.topic.isEmpty {
            guard let known = client.aliases[alias] else {
                violation(.protocolError, on: id)
                return nil
            }
            return TopicName(unchecked: known)
        }
        connections[id]?.client?.aliases[alias] = publish.topic
        return TopicName(unchecked: publish.topic)
    }

    /// Whether the authorizer lets the client publish to `topic` (3.1.1: a refused PUBLISH
    /// is acknowledged as usual and dropped [v311 MQTT-3.3.5-2]; v5: 0x87).
    private func mayPublish(_ topic: TopicName, client: ConnectedClient) -> Bool {
        guard mayWrite(topic, client: client) else { return false }
        guard let authorizer else { return true }
        return authorizer.mayPublish(clientID: sessions[client.session].clientID, username: client.username,
                                     topic: topic.string)
    }

    /// Whether a Response Topic is a valid Topic Name (the codec checked its UTF-8,
    /// [v5 MQTT-3.3.2-13]).
    func isTopicName(_ string: String) -> Bool {
        !string.isEmpty && !string.utf8.contains(UInt8(ascii: "+")) && !string.utf8.contains(UInt8(ascii: "#"))
    }

    /// Success, or why an accepted PUBLISH is acknowledged but not delivered.
    /// Over `messageSizeLimit`: 0x97 Quota exceeded for v5 (§4.13.2), a plain ack and drop for
    /// 3.1.1 ([MQTT-3.3.5-2] allows it), as mosquitto does.
    private func payloadRefusal(_ publish: Publish, version: ProtocolVersion) -> ReasonCode {
        if configuration.messageSizeLimit > 0 && publish.payload.count > configuration.messageSizeLimit {
            return .quotaExceeded
        }
        if version == .v5, publish.properties.payloadFormatIndicator == 1,
           String(validating: publish.payload, as: UTF8.self) == nil {
            return .payloadFormatInvalid // §3.3.2.3.2
        }
        return .success
    }

    /// PUBACK / PUBREC as the QoS asks [v5 MQTT-3.3.4-1]; a QoS 2 id is kept until PUBREL
    /// unless the PUBREC carries a failure (which ends the flow).
    private func acknowledge(_ publish: Publish, reason: ReasonCode, on id: ConnectionID, session handle: Int) {
        guard let packetID = publish.packetID else { return }
        switch publish.qos {
        case .atMostOnce: return
        case .atLeastOnce: // [MQTT-4.3.2-2]
            let properties = diagnostics(reason, session: handle)
            sendFitted(.puback(PubAck(packetID: packetID, reason: reason, properties: properties)), to: id, session: handle)
        case .exactlyOnce:
            if !reason.isFailure {
                sessions[handle].inboundQoS2.insert(packetID.rawValue)
                noteDurable(handle)
            }
            let properties = diagnostics(reason, session: handle) // [MQTT-4.3.3-2]
            sendFitted(.pubrec(PubAck(packetID: packetID, reason: reason, properties: properties)), to: id, session: handle)
        }
    }

    /// PUBREL: forget the id and PUBCOMP; an unknown id still gets PUBCOMP (v5 0x92).
    /// [MQTT-4.3.3-2] [v5 MQTT-4.3.3-11]
    func handlePubRel(_ ack: PubAck, on id: ConnectionID, client: ConnectedClient) {
        let known = sessions[client.session].inboundQoS2.remove(ack.packetID.rawValue) != nil
        if known { noteDurable(client.session) }
        let reason: ReasonCode = known || client.version != .v5 ? .success : .packetIdentifierNotFound
        let properties = diagnostics(reason, session: client.session)
        sendFitted(.pubcomp(PubAck(packetID: ack.packetID, reason: reason, properties: properties)), to: id,
                   session: client.session)
    }

    /// The one shared Message of an inbound PUBLISH (alias and subscription ids stripped).
    private func message(from publish: Publish, topic: TopicName, origin: String) -> Message {
        var properties = publish.properties
        properties.topicAlias = nil
        properties.subscriptionIdentifiers = []
        let expiry = properties.messageExpiryInterval.map { now.adding(seconds: Int64($0)) }
        return Message(topic: topic, payload: publish.payload, qos: publish.qos, retain: publish.retain,
                       properties: properties, expiry: expiry, origin: origin)
    }

    /// Updates the retained index and hands the message to every matching session once,
    /// at the highest granted QoS of its matching subscriptions, with all their ids.
    /// [MQTT-3.3.5-1] [v5 MQTT-3.3.4-2] [v5 MQTT-3.3.4-3]
    func route(_ message: Message) {
        if message.retain && configuration.retainAvailable { updateRetained(message) }
        if routeSlot.count < sessions.slots.count {
            routeSlot.append(contentsOf: repeatElement(0, count: sessions.slots.count - routeSlot.count))
        }
        defer {
            for match in routeMatches { routeSlot[Int(match.first.handle)] = 0 }
            routeMatches.removeAll(keepingCapacity: true)
            routeExtra.removeAll(keepingCapacity: true)
            routeShared.removeAll(keepingCapacity: true)
        }
        tree.forEachMatch(topic: message.topic.string, shared: &routeShared) { handle, options in
            if options.noLocal, let origin = message.origin, sessions[Int(handle)].clientID.bytesEqual(origin) { return } // [v5 MQTT-3.8.3-3]
            let grant = RouteMatch.Grant(handle: handle,
                                         qos: min(message.qos, options.qos), // [v311 MQTT-3.8.4-6] [v5 MQTT-3.8.4-8]
                                         retain: options.retainAsPublished && message.retain, // [v311 MQTT-3.3.1-9] [v5 MQTT-3.3.1-12, -13]
                                         identifier: options.identifier ?? 0)
            let slot = Int(routeSlot[Int(handle)])
            if slot == 0 {
                routeMatches.append(RouteMatch(grant))
                routeSlot[Int(handle)] = Int32(routeMatches.count)
            } else {
                routeMatches[slot - 1].merge(grant)
                routeExtra.append(grant)
            }
        }
        for match in routeMatches {
            let handle = Int(match.first.handle)
            guard match.identifiers > 1 else {
                // One copy at the highest QoS of the matches [v311 MQTT-3.3.5-1] [v5 MQTT-3.3.4-2],
                // with the identifier of the match that has one [v5 MQTT-3.3.4-3].
                deliver(match.merged.delivery(of: message), to: handle)
                continue
            }
            // Several identifiers: one copy per matching subscription, each with its own
            // identifier and QoS [v5 MQTT-3.3.4-5] (the highest QoS is among them,
            // [v5 MQTT-3.3.4-2]). A single PUBLISH repeating Subscription Identifier is
            // legal [v5 MQTT-3.3.4-4], but libmosquitto 2.0 (Debian 12) rejects it as a
            // duplicate property and drops the connection; mosquitto itself sends copies.
            deliver(match.first.delivery(of: message), to: handle)
            for extra in routeExtra where extra.handle == match.first.handle { deliver(extra.delivery(of: message), to: handle) }
        }
        for match in routeShared { deliverShared(message, to: match) }
    }

    /// One member of a share group gets the message, at its granted QoS [v5 MQTT-4.8.2-3]:
    /// round robin among connected members with room in their in-flight window, else among
    /// connected members, else among all (queued for later). `excluding` leaves out a member
    /// handing its messages over. No Local does not apply (a Protocol Error on shares).
    func deliverShared(_ message: Message, to match: TopicTree.SharedMatch, excluding: Int? = nil) {
        let picked = tree.pickMember(match) { member in
            let handle = Int(member)
            guard handle != excluding else { return nil }
            guard sessions[handle].connection != nil else { return 0 }
            let session = sessions[handle]
            return session.queue.isEmpty && session.inflight.count < session.window ? 2 : 1
        }
        guard let (handle, options, origin) = picked else { return }
        let delivery = Delivery(message: message, qos: min(message.qos, options.qos),
                                retain: options.retainAsPublished && message.retain,
                                subscriptionIdentifiers: options.identifier.map { [$0] } ?? [], share: origin)
        deliver(delivery, to: Int(handle))
    }

    /// RETAIN=1: store or replace (QoS and properties kept); an empty payload clears and is
    /// not stored. [MQTT-3.3.1-5] [MQTT-3.3.1-7] [MQTT-3.3.1-10] [MQTT-3.3.1-11]
    private func updateRetained(_ message: Message) {
        durableChangeCountStorage &+= 1
        if message.payload.isEmpty {
            if retained.clear(message.topic.string) { out.append(.persist(.clearRetained(message.topic))) }
        } else {
            retained.set(message)
            out.append(.persist(.retain(message)))
        }
    }
}
