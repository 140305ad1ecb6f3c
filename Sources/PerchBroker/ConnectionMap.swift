/// The broker's connections by id, stored without a hash table where the ids allow it.
///
/// The transport's ids carry a dense slot in their low 32 bits (`generation << 32 | slot`,
/// `PerchServer.ConnectionTable`), so a connection lives at `slots[slot]` and a lookup is
/// one comparison with `ids[slot]`: no hashing per packet, and no spare buckets per idle
/// connection (a dictionary keeps a quarter to a half of its buckets empty, and touches
/// all of them). Any other id still works: one whose slot is beyond `denseLimit`, or whose
/// slot is held by another live id, is kept in `overflow`.
struct ConnectionMap {
    private var slots: [Connection?] = []
    /// The id stored in each slot (`vacant` when the slot is free).
    private var ids: [UInt64] = []
    private var overflow: [ConnectionID: Connection] = [:]
    private(set) var count = 0

    /// Slots beyond this go to `overflow`, so an odd id never allocates a huge array.
    private static let denseLimit = 1 << 22
    /// No dense id has this value: its slot bits are all ones, beyond `denseLimit`.
    private static let vacant = UInt64.max

    private static func slotBits(_ id: ConnectionID) -> Int { Int(truncatingIfNeeded: id.rawValue & 0xFFFF_FFFF) }

    /// The slot holding `id`, if it is stored densely.
    private func slot(of id: ConnectionID) -> Int? {
        let slot = Self.slotBits(id)
        return slot < ids.count && ids[slot] == id.rawValue ? slot : nil
    }

    subscript(id: ConnectionID) -> Connection? {
        get {
            if let slot = slot(of: id) { return slots[slot] }
            return overflow.isEmpty ? nil : overflow[id]
        }
        _modify {
            if let slot = slot(of: id) {
                yield &slots[slot]
                if slots[slot] == nil {
                    ids[slot] = Self.vacant
                    count -= 1
                }
            } else if !overflow.isEmpty, overflow[id] != nil {
                yield &overflow[id]
                if overflow[id] == nil { count -= 1 }
            } else {
                var added: Connection?
                yield &added
                if let added { insert(added, for: id) }
            }
        }
    }

    private mutating func insert(_ connection: Connection, for id: ConnectionID) {
        count += 1
        let slot = Self.slotBits(id)
        guard slot < Self.denseLimit, slot >= ids.count || ids[slot] == Self.vacant else {
            overflow[id] = connection
            return
        }
        if slot >= ids.count {
            slots.append(contentsOf: repeatElement(nil, count: slot + 1 - slots.count))
            ids.append(contentsOf: repeatElement(Self.vacant, count: slot + 1 - ids.count))
        }
        slots[slot] = connection
        ids[slot] = id.rawValue
    }

    @discardableResult
    mutating func removeValue(forKey id: ConnectionID) -> Connection? {
        if let slot = slot(of: id) {
            let connection = slots[slot]
            slots[slot] = nil
            ids[slot] = Self.vacant
            count -= 1
            return connection
        }
        guard let connection = overflow.removeValue(forKey: id) else { return nil }
        count -= 1
        return connection
    }

    /// Every id, in no particular order.
    var keys: [ConnectionID] {
        ids.lazy.filter { $0 != Self.vacant }.map(ConnectionID.init) + overflow.keys
    }

    mutating func removeAll() {
        self = ConnectionMap()
    }
}
