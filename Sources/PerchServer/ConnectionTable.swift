import PerchBroker

/// The transport's connections in slots of one array, found by id without hashing.
///
/// A `ConnectionID` the table hands out is `generation << 32 | slot`: its slot is in the id
/// itself, and the generation (one per connection ever opened) keeps ids unique when a
/// slot is reused, so a stale id never finds a newer connection. Why not
/// `[ConnectionID: Connection]`: reading one field through `Dictionary.Values` copied the
/// whole `Connection` (retaining its strings and buffers) several times per packet, and
/// every lookup hashed; here an element is read in place (`_read` / `_modify`) and a
/// lookup is one comparison. Positions (slots) stay valid while their connection lives.
struct ConnectionTable {
    private var slots: [Connection?] = []
    /// The id in each slot (0: free), checked by `index(forKey:)`.
    private var ids: [UInt64] = []
    private var freeSlots: [Int] = []
    private var generation: UInt64 = 0
    private(set) var count = 0

    /// The ids of every connection (a snapshot).
    var keys: [ConnectionID] { ids.filter { $0 != 0 }.map(ConnectionID.init) }

    /// The slot of connection `id`, if it is still open.
    func index(forKey id: ConnectionID) -> Int? {
        let slot = Int(truncatingIfNeeded: id.rawValue & 0xFFFF_FFFF)
        return slot < ids.count && ids[slot] == id.rawValue ? slot : nil
    }

    /// A copy of connection `id` (use `self[position:]` on hot paths).
    subscript(id: ConnectionID) -> Connection? {
        index(forKey: id).flatMap { slots[$0] }
    }

    /// Reads and writes one connection in place (`_read`: reading a field copies nothing).
    subscript(position position: Int) -> Connection {
        _read { yield slots[position]! }
        _modify { yield &slots[position]! }
    }

    /// Stores the connection `make` builds for a fresh id, and returns that id.
    mutating func insert(_ make: (ConnectionID) -> Connection) -> ConnectionID {
        generation += 1
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = slots.count
            slots.append(nil)
            ids.append(0)
        }
        let id = ConnectionID(generation << 32 | UInt64(slot))
        slots[slot] = make(id)
        ids[slot] = id.rawValue
        count += 1
        return id
    }

    mutating func removeValue(forKey id: ConnectionID) -> Connection? {
        guard let slot = index(forKey: id) else { return nil }
        let connection = slots[slot]
        slots[slot] = nil
        ids[slot] = 0
        freeSlots.append(slot)
        count -= 1
        return connection
    }
}
