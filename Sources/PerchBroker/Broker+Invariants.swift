/// Self-checks for tests (the fuzzers call them after every event).
extension Broker {
    /// Descriptions of broken internal invariants; empty when all hold.
    package func invariantViolations() -> [String] {
        var problems: [String] = []
        for (handle, slot) in sessions.slots.enumerated() {
            guard let session = slot else { continue }
            // PUBRELs outstanding from an earlier, larger window cannot be withdrawn.
            let releases = session.inflight.entries.values.filter { $0.stage == .awaitingPubComp }.count
            if session.connection != nil && session.inflight.sentCount > max(session.window, releases) {
                problems.append("\(session.clientID): \(session.inflight.sentCount) in flight > window \(session.window)")
            }
            if let id = session.connection, connections[id]?.client?.session != handle {
                problems.append("\(session.clientID): connection \(id) does not point back")
            }
            if session.connection != nil && !session.queue.isEmpty && session.inflight.count < session.window
                && retainedBursts[handle] == nil {
                problems.append("\(session.clientID): queue waits while the window has room")
            }
            if session.connection != nil, let burst = retainedBursts[handle], let next = burst.queue.first,
               next.qos == .atMostOnce ? burst.budget > 0 || !burst.awaitingDrain : session.inflight.count < session.window {
                problems.append("\(session.clientID): retained burst waits while it may send")
            }
            let limit = configuration.maxQueuedMessages
            if limit > 0 && session.queue.count > limit {
                problems.append("\(session.clientID): \(session.queue.count) queued > max_queued_messages \(limit)")
            }
            if session.outboundAliases.count > Int(session.outboundAliasLimit) {
                problems.append("\(session.clientID): \(session.outboundAliases.count) outbound aliases > limit")
            }
        }
        for handle in retainedBursts.keys where sessions.slots[handle] == nil || retainedBursts[handle]?.queue.isEmpty != false {
            problems.append("retained burst of session \(handle) outlives it or is empty")
        }
        for id in connections.keys {
            if let client = connections[id]?.client, sessions.slots[client.session]?.connection != id {
                problems.append("connection \(id) attached to a session that does not know it")
            }
        }
        return problems
    }
}
