import PerchCodec

/// Start-up from the store: the sessions it recovered become disconnected sessions again.
extension Broker {
    /// Adds recovered persistent sessions (call once, before the first event). Every
    /// session is disconnected: one that was connected at the crash expires `expiryInterval`
    /// seconds from `now`, as if its connection had just closed; a delayed Will and an
    /// expiry already past fire at the first `.tick`.
    public func restore(sessions recovered: [DurableSession], now: Timestamp) {
        self.now = now
        for durable in recovered where durable.session.expiryInterval > 0 {
            if let existing = sessions.handle(of: durable.clientID) { endSession(existing, publishWill: false) }
            let handle = sessions.create(clientID: durable.clientID, version: durable.version)
            let generation = sessions[handle].generation
            var session = durable.session
            session.connection = nil
            sessions[handle] = session.withGeneration(generation)
            for (key, options) in session.subscriptions {
                tree.insert(filter: matchedFilter(key, shareName: options.shareName), share: options.shareName,
                            session: Int32(handle), options: options)
            }
            let interval = session.expiryInterval
            if interval != UInt32.max {
                let deadline = session.expiresAt ?? now.adding(seconds: Int64(interval))
                sessions[handle].expiresAt = deadline
                schedule(.sessionExpiry(handle, generation), at: deadline)
            }
            if let due = session.willDueAt, session.delayedWill != nil {
                schedule(.delayedWill(handle, generation), at: due)
            }
        }
        durableDirty.removeAll()
    }
}

extension Session {
    /// The same state under another generation (a restored session takes its new slot's).
    func withGeneration(_ generation: UInt64) -> Session {
        var copy = Session(clientID: clientID, generation: generation, version: version)
        copy.subscriptions = subscriptions
        copy.inflight = inflight
        copy.queue = queue
        copy.inboundQoS2 = inboundQoS2
        copy.expiryInterval = expiryInterval
        copy.expiresAt = expiresAt
        copy.willDueAt = willDueAt
        copy.delayedWill = delayedWill
        return copy
    }
}

extension DeliveryQueue {
    /// The queued deliveries, oldest first.
    var contents: ArraySlice<Delivery> { items[head...] }
}
