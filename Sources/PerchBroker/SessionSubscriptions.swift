import PerchCodec

/// A session's subscriptions by the filter string as sent (UNSUBSCRIBE compares literally,
/// byte for byte: MQTT-3.10.4-1, MQTT-4.7.3-4).
///
/// Most sessions hold one subscription, and a one-entry `Dictionary` costs about 180 bytes
/// of heap (its header, bitmap and two buckets); a single subscription is kept in a small
/// immutable box instead (about 64 bytes), and a dictionary (in a copy-on-write box) only
/// from the second on. Both are class references, so the value is one word.
struct SessionSubscriptions: Sendable, Sequence {
    typealias Element = (key: String, value: SubscriptionOptions)

    private enum Storage: Sendable {
        case empty
        case one(SingleSubscription)
        case many(ManySubscriptions)
    }

    private var storage = Storage.empty

    init() {}

    var count: Int {
        switch storage {
        case .empty: 0
        case .one: 1
        case .many(let box): box.all.count
        }
    }

    var isEmpty: Bool { count == 0 }

    /// How many times the dictionary this value holds was copied on write since it was made
    /// (0 with fewer than two subscriptions). Tests check that changing an unshared value
    /// never copies.
    var copiesOnWrite: Int {
        if case .many(let box) = storage { box.copies } else { 0 }
    }

    subscript(key: String) -> SubscriptionOptions? {
        get {
            switch storage {
            case .empty: nil
            case .one(let single): single.key.bytesEqual(key) ? single.value : nil
            case .many(let box): box.all[ExactString(key)]
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
        case .one(let single) where single.key.bytesEqual(key):
            storage = .one(SingleSubscription(key: key, value: value))
            return single.value
        case .one(let single):
            storage = .many(ManySubscriptions([ExactString(single.key): single.value, ExactString(key): value]))
            return nil
        case .many:
            return withUniqueMany { $0.updateValue(value, forKey: ExactString(key)) }
        }
    }

    /// Removes `key`; returns its value, if it was there.
    @discardableResult @inline(never)
    mutating func removeValue(forKey key: String) -> SubscriptionOptions? {
        switch storage {
        case .empty:
            return nil
        case .one(let single):
            guard single.key.bytesEqual(key) else { return nil }
            storage = .empty
            return single.value
        case .many:
            let old = withUniqueMany { $0.removeValue(forKey: ExactString(key)) }
            if count == 0 { storage = .empty }
            return old
        }
    }

    /// Mutates the dictionary in place, copying it first only when a copy of this value
    /// (a durable image) shares it. The box is moved out of `storage` before the
    /// uniqueness check: a binding such as `case .many(let box)` would hold a second
    /// reference, every check would fail, and every insert would copy the whole dictionary
    /// (50,000 filters on one session took 13 s that way).
    private mutating func withUniqueMany<R>(_ body: (inout [ExactString: SubscriptionOptions]) -> R) -> R {
        guard case .many(var box) = storage else { preconditionFailure("not many") }
        storage = .empty
        if !isKnownUniquelyReferenced(&box) { box = ManySubscriptions(copying: box) }
        defer { storage = .many(box) }
        return body(&box.all)
    }

    func makeIterator() -> Iterator {
        switch storage {
        case .empty: Iterator(single: nil, rest: nil)
        case .one(let single): Iterator(single: (single.key, single.value), rest: nil)
        case .many(let box): Iterator(single: nil, rest: box.all.makeIterator())
        }
    }

    struct Iterator: IteratorProtocol {
        fileprivate var single: Element?
        fileprivate var rest: Dictionary<ExactString, SubscriptionOptions>.Iterator?

        mutating func next() -> Element? {
            if let element = single {
                single = nil
                return element
            }
            return rest?.next().map { ($0.key.string, $0.value) }
        }
    }
}

/// Two or more subscriptions of a session. Mutated in place only while uniquely
/// referenced (`SessionSubscriptions` copies it on write, so a copy of a `Session`, such as
/// a durable image, never sees later changes). Confined to the broker's thread.
final class ManySubscriptions: @unchecked Sendable {
    var all: [ExactString: SubscriptionOptions]
    /// How many copies on write led to this box (see `SessionSubscriptions.copiesOnWrite`).
    let copies: Int
    init(_ all: [ExactString: SubscriptionOptions]) {
        self.all = all
        copies = 0
    }
    init(copying other: ManySubscriptions) {
        all = other.all
        copies = other.copies + 1
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
