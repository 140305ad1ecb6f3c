/// Something the broker must do at an instant. Entries are not removed one by one when they
/// become moot (a connection closed, a session reconnected): the handler re-checks the state
/// when the entry comes due, and re-arms it if the deadline moved (keep alive). This keeps
/// every packet O(1): receiving a packet only stores the time it arrived. So that a client
/// reconnecting often cannot grow the heap without bound, the broker sweeps moot entries
/// out (`compact`) whenever the heap holds more than twice what can be live.
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
    /// 32 bytes: the event is stored packed (a `TimerEvent` takes 17 bytes, which made
    /// an entry 40), and there are one or two entries per connection.
    private struct Entry: Sendable {
        var deadline: Timestamp
        var sequence: UInt64
        /// The `ConnectionID`, or the session's generation.
        private var word: UInt64
        /// The session handle (handles are slot indices, well below `Int32.max`).
        private var handle: Int32
        private var kind: Kind

        private enum Kind: UInt8, Sendable { case connectTimeout, keepAlive, delayedWill, sessionExpiry }

        init(deadline: Timestamp, sequence: UInt64, event: TimerEvent) {
            self.deadline = deadline
            self.sequence = sequence
            switch event {
            case .connectTimeout(let id): (kind, word, handle) = (.connectTimeout, id.rawValue, 0)
            case .keepAlive(let id): (kind, word, handle) = (.keepAlive, id.rawValue, 0)
            case .delayedWill(let slot, let generation): (kind, word, handle) = (.delayedWill, generation, Int32(slot))
            case .sessionExpiry(let slot, let generation): (kind, word, handle) = (.sessionExpiry, generation, Int32(slot))
            }
        }

        var event: TimerEvent {
            switch kind {
            case .connectTimeout: .connectTimeout(ConnectionID(word))
            case .keepAlive: .keepAlive(ConnectionID(word))
            case .delayedWill: .delayedWill(Int(handle), word)
            case .sessionExpiry: .sessionExpiry(Int(handle), word)
            }
        }

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

    /// Keeps only the entries `isLive` accepts, then restores the heap order (O(n)).
    mutating func compact(_ isLive: (TimerEvent, Timestamp) -> Bool) {
        heap.removeAll { !isLive($0.event, $0.deadline) }
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(from: index)
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: Timestamp) -> TimerEvent? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(from: 0)
        }
        return first.event
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
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
