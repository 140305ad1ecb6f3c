/// A session's subscriptions by the filter string as sent (UNSUBSCRIBE compares literally).
///
/// Most sessions hold one subscription, and a one-entry `Dictionary` costs about 180 bytes
/// of heap (its header, bitmap and two buckets); a single subscription is kept in a small
/// immutable box instead (about 64 bytes), and a dictionary only from the second on. The
/// value is one word either way, so a `Session` slot does not grow.
struct SessionSubscriptions: Sendable, Sequence {
    typealias Element = (key: String, value: SubscriptionOptions)

    private enum Storage: Sendable {
        case empty
        case one(SingleSubscription)
        case many([String: SubscriptionOptions])
    }

    private var storage = Storage.empty

    init() {}

    var count: Int {
        switch storage {
        case .empty: 0
        case .one: 1
        case .many(let all): all.count
        }
    }

    var isEmpty: Bool { count == 0 }

    subscript(key: String) -> SubscriptionOptions? {
        get {
            switch storage {
            case .empty: nil
            case .one(let single): single.key == key ? single.value : nil
            case .many(let all): all[key]
            }
        }
        set {
            if let newValue { updateValue(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    /// Stores `value` under `key`; returns the value it replaced, if any.
    /// (Not inlined: subscribe-time only, and inlining it into a caller's loop crashed the
    /// 6.3 optimiser's CopyPropagation pass.)
    @discardableResult @inline(never)
    mutating func updateValue(_ value: SubscriptionOptions, forKey key: String) -> SubscriptionOptions? {
        switch storage {
        case .empty:
            storage = .one(SingleSubscription(key: key, value: value))
            return nil
        case .one(let single) where single.key == key:
            storage = .one(SingleSubscription(key: key, value: value))
            return single.value
        case .one(let single):
            storage = .many([single.key: single.value, key: value])
            return nil
        case .many(let current):
            var all = current
            storage = .empty // keeps `all` uniquely referenced while it changes
            let old = all.updateValue(value, forKey: key)
            storage = .many(all)
            return old
        }
    }

    /// Removes `key`; returns its value, if it was there.
    @discardableResult @inline(never)
    mutating func removeValue(forKey key: String) -> SubscriptionOptions? {
        switch storage {
        case .empty:
            return nil
        case .one(let single):
            guard single.key == key else { return nil }
            storage = .empty
            return single.value
        case .many(let current):
            var all = current
            storage = .empty
            let old = all.removeValue(forKey: key)
            storage = all.isEmpty ? .empty : .many(all)
            return old
        }
    }

    func makeIterator() -> Iterator {
        switch storage {
        case .empty: Iterator(single: nil, rest: nil)
        case .one(let single): Iterator(single: (single.key, single.value), rest: nil)
        case .many(let all): Iterator(single: nil, rest: all.makeIterator())
        }
    }

    struct Iterator: IteratorProtocol {
        fileprivate var single: Element?
        fileprivate var rest: Dictionary<String, SubscriptionOptions>.Iterator?

        mutating func next() -> Element? {
            if let element = single {
                single = nil
                return element
            }
            return rest?.next()
        }
    }
}

/// The only subscription of a session, out of line (immutable; a change stores a new box).
final class SingleSubscription: Sendable {
    let key: String
    let value: SubscriptionOptions
    init(key: String, value: SubscriptionOptions) {
        self.key = key
        self.value = value
    }
}

extension SessionSubscriptions: CustomStringConvertible {
    var description: String {
        "[" + map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }
}
