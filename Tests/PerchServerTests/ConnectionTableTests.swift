import PerchBroker
@testable import PerchServer
import Testing

/// The transport's connection table: ids carry their slot, a reused slot gets a new id, and
/// a stale id never finds the newer connection.
@Suite("ConnectionTable")
struct ConnectionTableTests {
    func make(_ table: inout ConnectionTable, fd: Int32) -> ConnectionID {
        table.insert { Connection(id: $0, fd: fd, peer: "p", maximumPacketSize: 1024, mask: 0) }
    }

    @Test("[v5 interp] ids are unique, slots are reused, stale ids find nothing")
    func slotsAndGenerations() {
        var table = ConnectionTable()
        let a = make(&table, fd: 10)
        let b = make(&table, fd: 11)
        #expect(a != b && table.count == 2)
        #expect(table[a]?.fd == 10 && table[b]?.fd == 11)
        let slotOfA = table.index(forKey: a)
        #expect(table.removeValue(forKey: a)?.fd == 10)
        #expect(table[a] == nil && table.index(forKey: a) == nil && table.removeValue(forKey: a) == nil)
        let c = make(&table, fd: 12) // takes a's slot
        #expect(c != a && table.index(forKey: c) == slotOfA && table[a] == nil)
        #expect(table[c]?.fd == 12 && table.count == 2)
        #expect(Set(table.keys) == [b, c])
        table[position: table.index(forKey: b)!].droppedPublishes += 3
        #expect(table[b]?.droppedPublishes == 3)
    }
}
