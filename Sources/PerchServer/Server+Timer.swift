import Dispatch
import PerchBroker

extension Server {
    /// Arms the one timer at `broker.nextDeadline` (or disarms it), when that changed.
    func rearmTimer(now: Timestamp) {
        guard let timer else { return }
        let deadline = broker.nextDeadline
        guard deadline != armedDeadline else { return }
        armedDeadline = deadline
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
        armedDeadline = nil
        broker.handle(.tick, now: now, into: &actions)
        finishBatch(now: now)
    }
}
