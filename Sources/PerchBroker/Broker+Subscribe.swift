import PerchCodec

/// SUBSCRIBE and UNSUBSCRIBE.
extension Broker {
    /// One SUBACK code per entry, in order [MQTT-3.8.4-1..-5] [MQTT-3.9.3-1]; then the
    /// retained messages of each granted filter, as Retain Handling asks.
    func handleSubscribe(_ subscribe: Subscribe, on id: ConnectionID, client: ConnectedClient) {
        let identifier = subscribe.properties.subscriptionIdentifiers.first
        if identifier != nil && !configuration.subscriptionIdentifierAvailable {
            violation(.subscriptionIdentifiersNotSupported, on: id) // v5 §3.2.2.3.12: Protocol Error, 0xA1
            return
        }
        var reasons: [ReasonCode] = []
        var retainedWork: [(Subscription, SubscriptionOptions)] = []
        reasons.reserveCapacity(subscribe.entries.count)
        for entry in subscribe.entries {
            switch entry {
            case .invalidFilter:
                reasons.append(client.version == .v5 ? .topicFilterInvalid : .unspecifiedError)
            case .valid(let subscription) where refusal(of: subscription, client: client) != nil:
                reasons.append(refusal(of: subscription, client: client) ?? .unspecifiedError)
            case .valid(let subscription):
                let (options, isNew) = store(subscription, identifier: identifier, session: client.session)
                reasons.append(.granted(options.qos))
                // No retained messages for a new shared subscription (v5 §4.8.2).
                if options.shareName == nil, wantsRetained(options.retainHandling, isNew: isNew, version: client.version) {
                    retainedWork.append((subscription, options))
                }
            }
        }
        let failure = reasons.first { $0.isFailure } ?? .success
        let properties = diagnostics(failure, session: client.session)
        sendFitted(.suback(SubAck(packetID: subscribe.packetID, reasons: reasons, properties: properties)), to: id,
                   session: client.session) // [MQTT-3.8.4-1] [MQTT-3.8.4-2]
        for (subscription, options) in retainedWork {
            sendRetained(matching: subscription.filter, options: options, session: client.session)
        }
    }

    /// The SUBACK failure for a subscription the authorizer refuses (0x87) or to a feature
    /// switched off: wildcards [v311 MQTT-3.8.3-2] (0xA2), shared subscriptions (0x9E); nil
    /// to grant it. v5 §3.2.2.3.11 / §3.2.2.3.13 also allow DISCONNECT; the per-filter
    /// SUBACK code keeps the other filters. 3.1.1 encodes every failure as 0x80.
    private func refusal(of subscription: Subscription, client: ConnectedClient) -> ReasonCode? {
        if !maySubscribe(subscription.filter.filter, client: client) { return .notAuthorized }
        if let authorizer, !authorizer.maySubscribe(clientID: sessions[client.session].clientID,
                                                    username: client.username, filter: subscription.filter.string) {
            return .notAuthorized
        }
        if !configuration.sharedSubscriptionAvailable && subscription.filter.shareName != nil {
            return .sharedSubscriptionsNotSupported
        }
        if !configuration.wildcardSubscriptionAvailable && subscription.filter.hasWildcards {
            return .wildcardSubscriptionsNotSupported
        }
        return nil
    }

    /// Adds or replaces one subscription; granted QoS = min(requested, maximumQoS).
    /// [MQTT-3.8.4-3] [v5 MQTT-3.8.4-3]
    private func store(_ subscription: Subscription, identifier: UInt32?, session handle: Int) -> (SubscriptionOptions, Bool) {
        let options = SubscriptionOptions(
            qos: min(subscription.qos, configuration.maximumQoS),
            noLocal: subscription.noLocal, retainAsPublished: subscription.retainAsPublished,
            retainHandling: subscription.retainHandling, identifier: identifier,
            shareName: subscription.filter.shareName)
        let key = subscription.filter.string
        let isNew = sessions[handle].subscriptions.updateValue(options, forKey: key) == nil
        tree.insert(filter: subscription.filter.filter, share: options.shareName, session: Int32(handle), options: options)
        noteDurable(handle)
        return (options, isNew)
    }

    /// Retain Handling 0: always; 1: only for a new subscription; 2: never.
    /// [v5 MQTT-3.3.1-9] [v5 MQTT-3.3.1-10] [v5 MQTT-3.3.1-11]; 3.1.1 always [MQTT-3.8.4-3].
    private func wantsRetained(_ handling: RetainHandling, isNew: Bool, version: ProtocolVersion) -> Bool {
        guard version == .v5 else { return true }
        switch handling {
        case .sendOnSubscribe: return true
        case .sendOnNewSubscribe: return isNew
        case .doNotSend: return false
        }
    }

    /// Retained messages matching the filter, with RETAIN=1 [v311 MQTT-3.3.1-6] [v311 MQTT-3.3.1-8]:
    /// all of them, through the session's `RetainedBurst` (so, unlike mosquitto,
    /// `max_queued_messages` does not cut them).
    private func sendRetained(matching filter: TopicFilter, options: SubscriptionOptions, session handle: Int) {
        var burst = retainedBursts.removeValue(forKey: handle) ?? RetainedBurst(budget: configuration.retainedBurstBytes)
        for message in retained.matching(topicLevels(filter.filter)) {
            // Bounded by the store: SUBSCRIBEs repeated before the burst is out add no more.
            guard burst.queue.count < retained.count else {
                statisticsStorage.droppedMessages += 1
                continue
            }
            if let expiry = message.expiry, expiry <= now { continue }
            // Read access is checked as each one goes out (`pumpRetained`), with the rules then.
            burst.queue.append(Delivery(message: message, qos: min(message.qos, options.qos), retain: true,
                                        subscriptionIdentifiers: options.identifier.map { [$0] } ?? []))
        }
        if !burst.queue.isEmpty { retainedBursts[handle] = burst }
        pump(handle)
    }

    /// Literal comparison [MQTT-3.10.4-1]; UNSUBACK with the same id, always
    /// [MQTT-3.10.4-4] [MQTT-3.10.4-5]; v5 codes 0x00 / 0x11 per filter. Messages already
    /// in flight still complete [MQTT-3.10.4-3].
    func handleUnsubscribe(_ unsubscribe: Unsubscribe, on id: ConnectionID, client: ConnectedClient) {
        var reasons: [ReasonCode] = []
        for filter in unsubscribe.filters {
            if let options = sessions[client.session].subscriptions.removeValue(forKey: filter) {
                let matched = matchedFilter(filter, shareName: options.shareName)
                tree.remove(filter: matched, share: options.shareName, session: Int32(client.session))
                noteDurable(client.session)
                if let group = options.shareName { // its queued messages go to the rest of the group
                    let queued = takeShared(from: client.session, inflight: false) { $0.group.bytesEqual(group) && $0.filter.bytesEqual(matched) }
                    redispatchShared(queued, from: client.session, backToSender: true)
                }
                reasons.append(.success)
            } else {
                reasons.append(.noSubscriptionExisted)
            }
        }
        let reply = UnsubAck(packetID: unsubscribe.packetID, reasons: client.version == .v5 ? reasons : [])
        sendFitted(.unsuback(reply), to: id, session: client.session)
    }
}
