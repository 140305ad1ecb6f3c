import PerchCodec

/// Timed work: CONNECT timeout, keep alive, Will Delay, Session Expiry. Entries are
/// validated when they come due (see `TimerQueue`).
extension Broker {
    func fireDueTimers() {
        while let event = timers.popDue(now: now) {
            switch event {
            case .connectTimeout(let id):
                // A CONNECT that arrived and waits for its password check is not late.
                if let connection = connections[id], connection.client == nil, connection.passwordCheck == nil {
                    closeSilently(id)
                }
            case .keepAlive(let id):
                checkKeepAlive(id)
            case .delayedWill(let handle, let generation):
                guard sessions.isLive(handle, generation: generation), sessions[handle].connection == nil,
                      let due = sessions[handle].willDueAt, due <= now,
                      let will = sessions[handle].delayedWill else { continue }
                sessions[handle].delayedWill = nil
                sessions[handle].willDueAt = nil
                noteDurable(handle)
                publishWill(will, origin: sessions[handle].clientID) // [v5 MQTT-3.1.2-8]
            case .sessionExpiry(let handle, let generation):
                guard sessions.isLive(handle, generation: generation), sessions[handle].connection == nil,
                      let deadline = sessions[handle].expiresAt, deadline <= now else { continue }
                endSession(handle, publishWill: true)
            }
        }
    }

    /// Arms a timer entry, first sweeping moot entries out when the heap holds more than
    /// twice what can be live (at most one entry per connection and two per session), so
    /// the heap stays O(connections + sessions) however often clients reconnect.
    func schedule(_ event: TimerEvent, at deadline: Timestamp) {
        if timers.count > 2 * (connections.count + 2 * sessions.count) + 64 {
            timers.compact { event, deadline in timerIsLive(event, deadline: deadline) }
        }
        timers.schedule(event, at: deadline)
    }

    /// Whether an entry can still do something when it comes due.
    private func timerIsLive(_ event: TimerEvent, deadline: Timestamp) -> Bool {
        switch event {
        case .connectTimeout(let id):
            return connections[id] != nil && connections[id]?.client == nil
        case .keepAlive(let id):
            return connections[id]?.client != nil
        case .delayedWill(let handle, let generation):
            return sessions.isLive(handle, generation: generation) && sessions[handle].willDueAt == deadline
        case .sessionExpiry(let handle, let generation):
            return sessions.isLive(handle, generation: generation) && sessions[handle].expiresAt == deadline
        }
    }

    /// Pending timer entries (tests check the heap stays bounded).
    package var pendingTimerCount: Int { timers.count }

    /// Arms the keep-alive check of a connection at `due` rounded up to the next half
    /// second, so that checks of many connections share wakeups (a sweep at most every
    /// 500 ms instead of one timer per connection and packet).
    func scheduleKeepAliveCheck(_ id: ConnectionID, due: Timestamp) {
        let granule: Int64 = 500
        let rounded = (due.milliseconds + granule - 1) / granule * granule
        schedule(.keepAlive(id), at: Timestamp(milliseconds: rounded))
    }

    /// Nothing received for 1.5 × Keep Alive: close as a network failure (Will published);
    /// v5 gets DISCONNECT 0x8D first. [v311 MQTT-3.1.2-24] [v5 MQTT-3.1.2-22]
    private func checkKeepAlive(_ id: ConnectionID) {
        guard let client = connections[id]?.client, client.keepAliveMilliseconds > 0 else { return }
        let due = client.lastActivity.adding(milliseconds: client.keepAliveMilliseconds * 3 / 2)
        guard due <= now else {
            scheduleKeepAliveCheck(id, due: due)
            return
        }
        violation(.keepAliveTimeout, on: id)
    }
}
