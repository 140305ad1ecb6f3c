import PerchBroker

/// The transport's connections, stored densely in one array and found by id through a
/// small id → position map.
///
/// Why not `[ConnectionID: Connection]`: reading one field through `Dictionary.Values`
/// copies the whole `Connection` (retaining its strings and buffers) on every access,
/// several times per packet; an `Array` element is read in place. Positions change only
/// when a connection is removed (the last one moves into its place), so a position is
/// valid until the next removal — the same rule as a dictionary index.
struct ConnectionTable {
    /// The connections, in no particular order; `values[position]` reads and writes in place.
    private(set) var values: [Connection] = []
    private var positions: [ConnectionID: Int] = [:]

    var count: Int { values.count }

    /// The ids of every connection (a snapshot).
    var keys: [ConnectionID] { values.map(\.id) }

    /// The position of connection `id`, valid until the next `removeValue`.
    func index(forKey id: ConnectionID) -> Int? { positions[id] }

    /// A copy of connection `id` (use `values[index]` on hot paths).
    subscript(id: ConnectionID) -> Connection? {
        guard let position = positions[id] else { return nil }
        return values[position]
    }

    /// Reads and writes one connection in place (`_read`: reading a field copies nothing).
    subscript(position position: Int) -> Connection {
        _read { yield values[position] }
        _modify { yield &values[position] }
    }

    mutating func insert(_ connection: Connection) {
        positions[connection.id] = values.count
        values.append(connection)
    }

    /// Removes connection `id`; the last connection takes its position.
    mutating func removeValue(forKey id: ConnectionID) -> Connection? {
        guard let position = positions.removeValue(forKey: id) else { return nil }
        let last = values.count - 1
        if position != last {
            values.swapAt(position, last)
            positions[values[position].id] = position
        }
        return values.removeLast()
    }
}
