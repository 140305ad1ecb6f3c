import PerchBroker

/// Back-pressure on publishers while a reader catches up.
///
/// When a flush leaves a connection with more than half the soft limit pending, that
/// connection is *backpressure.congested*: the server stops reading every other connection (their
/// EPOLLIN is withdrawn as they next become readable) until the backpressure.congested output drains
/// to a quarter of the soft limit. TCP then slows the publishers, instead of the server
/// reading their messages only to drop them at the soft limit.
///
/// A reader that does not drain within `congestionPause` milliseconds is *stalled*: it
/// stops holding the others back, and QoS 0 to it is dropped at the soft limit as before,
/// so one stuck client never stalls the broker for longer than that (once per episode:
/// it counts again only after its output has drained).
extension Server {
    /// Pending output above which a connection holds the other connections' input back.
    var congestionThreshold: Int { configuration.outputSoftLimit / 2 }

    /// Whether input is held back now: some connection is backpressure.congested and not stalled.
    var isInputHeldBack: Bool { !backpressure.congested.isEmpty }

    /// After a flush: starts or ends the connection's congestion by its pending output.
    func updateCongestion(_ id: ConnectionID, at index: Int,
                          now: Timestamp) {
        let pending = connections[position: index].pendingOutput
        if pending <= congestionThreshold / 2 {
            connections[position: index].stalled = false
            if connections[position: index].congestionDeadline != nil {
                connections[position: index].congestionDeadline = nil
                endCongestion(id)
            }
        } else if pending > congestionThreshold, connections[position: index].congestionDeadline == nil,
                  !connections[position: index].stalled, connections[position: index].state == .open {
            connections[position: index].congestionDeadline = now.adding(milliseconds: configuration.congestionPause)
            backpressure.congested.append(id)
            backpressure.episodes += 1
        }
    }

    /// Withdraws the connection's input interest while input is held back; returns
    /// whether it was backpressure.paused (a backpressure.congested connection itself is always read).
    func pauseInputIfHeldBack(_ id: ConnectionID, at index: Int) -> Bool {
        guard isInputHeldBack, connections[position: index].congestionDeadline == nil else { return false }
        if !connections[position: index].inputPaused {
            connections[position: index].inputPaused = true
            backpressure.paused.append(id)
            updateInterest(at: index)
        }
        return true
    }

    /// Congested connections past their deadline become stalled and stop holding others back.
    func expireCongestion(now: Timestamp) {
        for id in backpressure.congested {
            guard let index = connections.index(forKey: id),
                  let deadline = connections[position: index].congestionDeadline, deadline <= now else { continue }
            connections[position: index].congestionDeadline = nil
            connections[position: index].stalled = true
            endCongestion(id)
        }
    }

    /// Forgets `id` as backpressure.congested (drained, stalled or closed); resumes the backpressure.paused input
    /// once no connection is backpressure.congested any more.
    func endCongestion(_ id: ConnectionID) {
        backpressure.congested.removeAll { $0 == id }
        guard backpressure.congested.isEmpty, !backpressure.paused.isEmpty else { return }
        for pausedID in backpressure.paused {
            guard let index = connections.index(forKey: pausedID) else { continue }
            connections[position: index].inputPaused = false
            updateInterest(at: index)
        }
        backpressure.paused.removeAll(keepingCapacity: true)
    }

    /// The earliest congestion deadline, for the timer.
    var nextCongestionDeadline: Timestamp? {
        var earliest: Timestamp?
        for id in backpressure.congested {
            guard let deadline = connections[id]?.congestionDeadline else { continue }
            earliest = min(earliest ?? deadline, deadline)
        }
        return earliest
    }
}
