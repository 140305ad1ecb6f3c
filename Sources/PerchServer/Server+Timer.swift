import Dispatch
import PerchBroker

extension Server {
    /// Arms the one timer at `broker.nextDeadline` (or disarms it), when that changed.
    func rearmTimer(now: Timestamp) {
        guard let timer = sources.timer else { return }
        var deadline = broker.nextDeadline
        for id in lingering {
            guard let close = connections[id]?.closeDeadline else { continue }
            deadline = min(deadline ?? close, close)
        }
        if let congestion = nextCongestionDeadline { deadline = min(deadline ?? congestion, congestion) }
        guard deadline != sources.armedDeadline else { return }
        sources.armedDeadline = deadline
        guard let deadline else {
            timer.schedule(deadline: .distantFuture)
            return
        }
        // One millisecond late rather than early: `now` has millisecond resolution.
        let delay = max(0, deadline.milliseconds - now.milliseconds) + 1
        timer.schedule(deadline: .now() + .milliseconds(Int(delay)))
    }

    func handleTimer() {
        guard !isShuttingDown else { return }
        let now = MonotonicClock.now()
        sources.armedDeadline = nil
        broker.handle(.tick, now: now, into: &actions)
        closeLingering(now: now)
        expireCongestion(now: now)
        finishBatch(now: now)
        resumeBufferedInput(now: now)
    }

    /// Closes the closing connections whose peer has not taken their last bytes in time.
    func closeLingering(now: Timestamp) {
        guard !lingering.isEmpty else { return }
        let expired = lingering.filter { id in connections[id]?.closeDeadline.map { $0 <= now } ?? true }
        // closeSocket removes each from `lingering`.
        for id in expired { closeSocket(id, reason: "did not read its last packets", now: now) }
        lingering.removeAll { connections[$0] == nil }
    }
}
