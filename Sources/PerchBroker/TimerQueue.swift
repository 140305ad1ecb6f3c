/// Something the broker must do at an instant. Entries are never removed when they become
/// moot (a connection closed, a session reconnected): the handler re-checks the state when
/// the entry comes due, and re-arms it if the deadline moved (keep alive). This keeps every
/// packet O(1): receiving a packet only stores the time it arrived.
enum TimerEvent: Sendable, Hashable {
    case connectTimeout(ConnectionID)
    case keepAlive(ConnectionID)
    /// Will Delay of a disconnected session (handle, generation).
    case delayedWill(Int, UInt64)
    /// Session Expiry of a disconnected session (handle, generation).
    case sessionExpiry(Int, UInt64)
}

/// A binary min-heap of timer entries ordered by deadline (ties in insertion order).
struct TimerQueue: Sendable {
    private struct Entry: Sendable {
        var deadline: Timestamp
        var sequence: UInt64
        var event: TimerEvent
        func precedes(_ other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    private var heap: [Entry] = []
    private var sequence: UInt64 = 0

    var nextDeadline: Timestamp? { heap.first?.deadline }
    var count: Int { heap.count }

    mutating func schedule(_ event: TimerEvent, at deadline: Timestamp) {
        sequence &+= 1
        heap.append(Entry(deadline: deadline, sequence: sequence, event: event))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: Timestamp) -> TimerEvent? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown()
        }
        return first.event
    }

    private mutating func siftDown() {
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < heap.count, heap[left].precedes(heap[best]) { best = left }
            if right < heap.count, heap[right].precedes(heap[best]) { best = right }
            if best == parent { return }
            heap.swapAt(parent, best)
            parent = best
        }
    }
}
