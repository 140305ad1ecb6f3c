import PerchCodec

/// What happens to a connection's Will when it ends.
enum WillDisposition: Sendable {
    /// Normal DISCONNECT (0x00) or shutdown: dropped unpublished. // [MQTT-3.14.4-3]
    case discard
    /// Any other end: published now, or after the v5 Will Delay. // [MQTT-3.1.2-8] [MQTT-3.1.2-10]
    case publish
    /// Published now whatever its delay (takeover that does not continue it).
    case publishNow
}

/// Ending connections and sessions.
extension Broker {
    /// Ends an accepted or pending connection: handles the Will, detaches the session and
    /// ends it when its expiry is 0. `notify` emits `.close` (false when the transport
    /// reported the connection gone).
    func close(_ id: ConnectionID, will disposition: WillDisposition, notify: Bool, sessionContinues: Bool = false) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        if !contexts.isEmpty { contexts[id] = nil }
        if notify { out.append(.close(id)) }
        guard let client = connection.client else { return }
        statisticsStorage.connectedClients -= 1
        let handle = client.session
        sessions[handle].connection = nil
        noteDurable(handle)
        if !sessionContinues { // a share member gone offline hands over what it has not taken
            redispatchShared(takeShared(from: handle, inflight: true), from: handle, backToSender: true)
        }
        if let will = client.will {
            switch disposition {
            case .discard: break
            case .publish: scheduleWill(will, delay: client.willDelay, session: handle, sessionContinues: sessionContinues)
            case .publishNow: publishWill(will, origin: sessions[handle].clientID)
            }
        }
        guard !sessionContinues else { return }
        let interval = sessions[handle].expiryInterval
        if interval == 0 {
            endSession(handle, publishWill: true) // [v5 MQTT-3.1.2-23]: no expiry, no state kept
        } else if interval != UInt32.max {
            let deadline = now.adding(seconds: Int64(interval))
            sessions[handle].expiresAt = deadline
            schedule(.sessionExpiry(handle, sessions[handle].generation), at: deadline)
        }
    }

    /// Publishes a Will now, or parks it in the session for its v5 Will Delay Interval when
    /// the session outlives the connection. // [v5 MQTT-3.1.2-8]
    private func scheduleWill(_ will: Will, delay: UInt32, session handle: Int, sessionContinues: Bool) {
        let outlives = sessionContinues || sessions[handle].expiryInterval > 0
        guard delay > 0, outlives else {
            publishWill(will, origin: sessions[handle].clientID)
            return
        }
        let due = now.adding(seconds: Int64(delay))
        sessions[handle].delayedWill = will
        sessions[handle].willDueAt = due
        schedule(.delayedWill(handle, sessions[handle].generation), at: due)
    }

    /// Removes a session: publishes a Will still waiting for its delay (the session ended
    /// first, [v5 MQTT-3.1.2-8]), removes its subscriptions from the trie.
    func endSession(_ handle: Int, publishWill: Bool) {
        for (key, options) in sessions[handle].subscriptions {
            tree.remove(filter: matchedFilter(key, shareName: options.shareName), share: options.shareName,
                        session: Int32(handle))
        }
        // Shared messages not yet taken go to the rest of their group; a QoS 2 one in flight
        // is dropped with the session [v5 MQTT-4.8.2-5].
        let handedOver = takeShared(from: handle, inflight: true)
        let session = sessions[handle]
        sessions.remove(handle)
        retainedBursts[handle] = nil
        detachAccess(session: handle)
        if session.expiryInterval > 0 {
            durableChangeCountStorage &+= 1
            durableDirty.insert(ExactString(session.clientID))
        }
        statisticsStorage.droppedMessages += session.queue.count
        redispatchShared(handedOver, from: handle, backToSender: false)
        if publishWill, let will = session.delayedWill { self.publishWill(will, origin: session.clientID) }
    }

    /// A second connection with the same client id: the old one gets v5 DISCONNECT 0x8E
    /// and is closed; its Will is published unless the new connection continues the session
    /// and the Will has a delay (§3.1.3.2.2). // [MQTT-3.1.4-2] [v5 MQTT-3.1.4-3]
    func takeOver(_ old: ConnectionID, newCleanStart: Bool) {
        guard let client = connections[old]?.client else { return }
        if client.version == .v5 { send(.disconnect(Disconnect(reason: .sessionTakenOver)), to: old) }
        // A session that ends with its connection (3.1.1 Clean Session 1, v5 expiry 0) ends here too.
        let continues = !newCleanStart && sessions[client.session].expiryInterval > 0
        let willCancelled = continues && client.willDelay > 0 // [v5 MQTT-3.1.3-9]
        close(old, will: willCancelled ? .discard : .publishNow, notify: true, sessionContinues: continues)
    }

    /// The transport reports the connection gone: an abnormal end, the Will is published.
    func lost(_ id: ConnectionID) {
        close(id, will: .publish, notify: false)
    }

    /// Close without any packet: CONNECT timeout, first packet not CONNECT.
    func closeSilently(_ id: ConnectionID) {
        close(id, will: .discard, notify: true)
    }

    /// A refused CONNECT: CONNACK with the reason, then close; nothing after it is read.
    /// [MQTT-3.2.2-5] [v5 MQTT-3.2.2-7] Session Present is 0 [MQTT-3.2.2-4] [v5 MQTT-3.2.2-6].
    /// With the CONNECT at hand, a v5 CONNACK carries a Reason String (and the Server
    /// Reference of a redirect), fitted to the client's Maximum Packet Size.
    func refuse(_ id: ConnectionID, reason: ReasonCode, connect: Connect? = nil) {
        guard let connect, connect.version == .v5 else {
            send(.connack(ConnAck(sessionPresent: false, reason: reason)), to: id)
            closeSilently(id)
            return
        }
        var properties = Properties()
        properties.reasonString = explanation(of: reason)
        if reason == .useAnotherServer || reason == .serverMoved {
            properties.serverReference = configuration.serverReference
        }
        let ack = Packet.connack(ConnAck(sessionPresent: false, reason: reason, properties: properties))
        send(ack.fitted(maximumPacketSize: connect.properties.maximumPacketSize ?? 0, problemInformation: true), to: id)
        closeSilently(id)
    }

    /// Shutdown: v5 clients get DISCONNECT 0x8B, every connection is closed, no Will is
    /// published; sessions stay as they are.
    func shutdown() {
        for id in connections.keys.sorted() {
            if let client = connections[id]?.client {
                if client.version == .v5 { send(.disconnect(Disconnect(reason: .serverShuttingDown)), to: id) }
                sessions[client.session].connection = nil
                statisticsStorage.connectedClients -= 1
            }
            out.append(.close(id))
        }
        connections.removeAll()
        contexts.removeAll()
    }
}
