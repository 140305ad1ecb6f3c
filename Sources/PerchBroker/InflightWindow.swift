import PerchCodec

/// The outbound QoS 1/2 messages of one session that the client has not finished
/// acknowledging, indexed by packet id. Its size is bounded by the session's window
/// (min(`maxInflightMessages`, the client's v5 Receive Maximum)); `sequence` keeps the
/// order they were first sent in, for redelivery on reconnect (MQTT-4.4.0-1).
struct InflightWindow: Sendable {
    enum Stage: Sendable, Hashable {
        /// QoS 1 PUBLISH sent, waiting for PUBACK.
        case awaitingPubAck
        /// QoS 2 PUBLISH sent, waiting for PUBREC.
        case awaitingPubRec
        /// PUBREL sent, waiting for PUBCOMP; the PUBLISH is never resent. // [v311 MQTT-4.3.3-1] [v5 MQTT-4.3.3-6]
        case awaitingPubComp
    }

    struct Entry: Sendable {
        var delivery: Delivery
        var stage: Stage
        var sequence: UInt64
        /// Not (re)sent on the current connection yet: after a reconnect with a smaller
        /// Receive Maximum, entries beyond the new window wait for room. [v5 MQTT-3.3.4-9]
        var unsent = false
    }

    private(set) var entries: [UInt16: Entry] = [:]
    private var sequence: UInt64 = 0
    private var unsentCount: Int32 = 0
    /// Last, so that `Session`'s small fields can share the word it ends in.
    private var nextID: UInt16 = 1

    var count: Int { entries.count }
    /// Entries the client currently holds unacknowledged (counted against its window).
    var sentCount: Int { entries.count - Int(unsentCount) }

    /// A packet id not in use by any in-flight message of this session. // [v311 MQTT-2.3.1-4] [v5 MQTT-2.2.1-4]
    /// The caller guarantees `count < 65535`.
    mutating func allocateID() -> PacketID {
        while entries[nextID] != nil { advance() }
        let id = nextID
        advance()
        return PacketID(id)!
    }

    private mutating func advance() {
        nextID = nextID == UInt16.max ? 1 : nextID + 1
    }

    mutating func insert(_ delivery: Delivery, id: PacketID) {
        sequence += 1
        let stage: Stage = delivery.qos == .exactlyOnce ? .awaitingPubRec : .awaitingPubAck
        entries[id.rawValue] = Entry(delivery: delivery, stage: stage, sequence: sequence)
    }

    func stage(of id: PacketID) -> Stage? { entries[id.rawValue]?.stage }

    mutating func setStage(_ stage: Stage, of id: PacketID) { entries[id.rawValue]?.stage = stage }

    /// Frees the id (the flow is complete). // [MQTT-2.3.1-4]
    mutating func remove(_ id: PacketID) {
        if entries.removeValue(forKey: id.rawValue)?.unsent == true { unsentCount -= 1 }
    }

    mutating func setUnsent(_ unsent: Bool, _ id: PacketID) {
        guard let entry = entries[id.rawValue], entry.unsent != unsent else { return }
        entries[id.rawValue]?.unsent = unsent
        unsentCount += unsent ? 1 : -1
    }

    /// The earliest entry still waiting to be resent, if any.
    var firstUnsent: (PacketID, Entry)? {
        guard unsentCount > 0 else { return nil }
        let first = entries.filter { $0.value.unsent }.min { $0.value.sequence < $1.value.sequence }
        return first.map { (PacketID($0.key)!, $0.value) }
    }

    /// Entries in the order they were first sent.
    var ordered: [(PacketID, Entry)] {
        // Sorts plain (sequence, id) pairs, then looks the entries up: sorting the entries
        // themselves moved their deliveries (reference counting) on every swap, and this
        // runs for every durable session image of a batch.
        var order = entries.map { (sequence: $0.value.sequence, id: $0.key) }
        order.sort { $0.sequence < $1.sequence }
        return order.map { (PacketID($0.id)!, entries[$0.id]!) }
    }
}

/// A FIFO of deliveries waiting for a session. As the session's queue it holds QoS 1/2
/// deliveries while the session is offline (MQTT-3.1.2-5) or its in-flight window is full,
/// bounded by `maxQueuedMessages` and `maxQueuedBytes` (payload bytes; the caller drops and
/// counts what does not fit); as a `RetainedBurst`'s, the retained messages not sent yet.
struct DeliveryQueue: Sendable {
    private(set) var items: [Delivery] = []
    private(set) var head = 0
    private(set) var bytes = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }
    var first: Delivery? { head < items.count ? items[head] : nil }

    mutating func append(_ delivery: Delivery) {
        items.append(delivery)
        bytes += delivery.message.payload.count
    }

    mutating func popFirst() -> Delivery? {
        guard head < items.count else { return nil }
        let delivery = items[head]
        head += 1
        bytes -= delivery.message.payload.count
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return delivery
    }
}

extension InflightWindow {
    /// Removes and returns, in send order, the QoS 1 deliveries awaiting PUBACK that
    /// `leaves` selects (a QoS 2 flow stays with its session, [v5 MQTT-4.8.2-4]).
    mutating func extractAwaitingPubAck(where leaves: (Delivery) -> Bool) -> [Delivery] {
        let picked = ordered.filter { $0.1.stage == .awaitingPubAck && leaves($0.1.delivery) }
        for (id, _) in picked { remove(id) }
        return picked.map(\.1.delivery)
    }
}

extension DeliveryQueue {
    /// Removes and returns, in order, the queued deliveries `leaves` selects.
    mutating func extract(where leaves: (Delivery) -> Bool) -> [Delivery] {
        var kept = DeliveryQueue()
        var taken: [Delivery] = []
        while let delivery = popFirst() {
            if leaves(delivery) { taken.append(delivery) } else { kept.append(delivery) }
        }
        self = kept
        return taken
    }
}
