@testable import PerchBroker
import Testing

/// The broker's connection table: dense slots for the transport's ids, a dictionary for
/// any other id, the same answers either way.
@Suite struct ConnectionMapTests {
    /// An id as the transport makes them: generation in the high half, slot in the low.
    private func id(_ generation: UInt64, _ slot: UInt64) -> ConnectionID { ConnectionID(generation << 32 | slot) }

    @Test("[interp] insert, read, modify in place and remove, dense and overflowing ids alike")
    func dictionarySemantics() {
        var map = ConnectionMap()
        let ids = [id(1, 0), id(2, 1), id(3, 7), ConnectionID(UInt64.max), id(9, 1 << 30), ConnectionID(0)]
        for (n, key) in ids.enumerated() {
            #expect(map[key] == nil)
            map[key] = Connection()
            map[key]?.authentication = nil
            #expect(map[key] != nil)
            #expect(map.count == n + 1)
        }
        #expect(Set(map.keys) == Set(ids))
        map[ids[2]]?.client = nil
        #expect(map[ids[2]] != nil, "modifying a field keeps the entry")
        #expect(map.removeValue(forKey: ids[1]) != nil)
        #expect(map.removeValue(forKey: ids[1]) == nil)
        map[ids[3]] = nil
        #expect(map[ids[3]] == nil && map.count == ids.count - 2)
        #expect(Set(map.keys) == Set(ids).subtracting([ids[1], ids[3]]))
        map.removeAll()
        #expect(map.count == 0 && map.keys.isEmpty)
    }

    @Test("[interp] a stale id never finds the connection that reused its slot; both can live at once")
    func generations() {
        var map = ConnectionMap()
        let old = id(1, 3), new = id(2, 3)
        map[old] = Connection()
        map[new] = Connection()          // slot 3 is taken: kept aside, still found
        #expect(map.count == 2 && map[old] != nil && map[new] != nil)
        map[old] = nil
        #expect(map[old] == nil && map[new] != nil)
        map[new] = nil
        let newest = id(3, 3)
        map[newest] = Connection()
        #expect(map[old] == nil && map[new] == nil && map[newest] != nil && map.count == 1)
    }

    @Test("[interp] optional chaining on an absent id stores nothing")
    func absentModify() {
        var map = ConnectionMap()
        map[id(1, 5)]?.client = nil
        #expect(map.count == 0 && map[id(1, 5)] == nil && map.keys.isEmpty)
    }
}
