import PerchCodec

/// Timed work: CONNECT timeout, keep alive, Will Delay, Session Expiry. Entries are
/// validated when they come due (see `TimerQueue`).
extension Broker {
    func fireDueTimers() {
        while let event = timers.popDue(now: now) {
            switch event {
            case .connectTimeout(let id):
                if let connection = connections[id], connection.client == nil { closeSilently(id) }
            case .keepAlive(let id):
                checkKeepAlive(id)
            case .delayedWill(let handle, let generation):
                guard sessions.isLive(handle, generation: generation), sessions[handle].connection == nil,
                      let will = sessions[handle].delayedWill else { continue }
                sessions[handle].delayedWill = nil
                publishWill(will, origin: sessions[handle].clientID) // [v5 MQTT-3.1.2-8]
            case .sessionExpiry(let handle, let generation):
                guard sessions.isLive(handle, generation: generation), sessions[handle].connection == nil,
                      let deadline = sessions[handle].expiresAt, deadline <= now else { continue }
                endSession(handle, publishWill: true)
            }
        }
    }

    /// Arms the keep-alive check of a connection at `due` rounded up to the next half
    /// second, so that checks of many connections share wakeups (a sweep at most every
    /// 500 ms instead of one timer per connection and packet).
    func scheduleKeepAliveCheck(_ id: ConnectionID, due: Timestamp) {
        let granule: Int64 = 500
        let rounded = (due.milliseconds + granule - 1) / granule * granule
        timers.schedule(.keepAlive(id), at: Timestamp(milliseconds: rounded))
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
