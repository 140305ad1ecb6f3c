import PerchCodec
import Testing

/// `Properties` keeps its fields in a copy-on-write box: one pointer wide, copies never
/// observe each other's changes, equality and hashing are by value.
@Suite("Properties storage")
struct PropertiesStorageTests {
    @Test("[v5 interp] Properties is one pointer wide, and so is a PUBLISH's share of it")
    func compact() {
        #expect(MemoryLayout<Properties>.size == MemoryLayout<Int>.size)
    }

    @Test("[v5 interp] a copy of Properties is independent of the original (copy-on-write)")
    func copyOnWrite() {
        var a = Properties()
        a.contentType = "text/plain"
        a.userProperties = [UserProperty("k", "v")]
        var b = a
        b.contentType = "application/json"
        b.userProperties.append(UserProperty("k2", "v2"))
        #expect(a.contentType == "text/plain" && a.userProperties == [UserProperty("k", "v")])
        #expect(b.contentType == "application/json" && b.userProperties.count == 2)
        #expect(a != b)
        b.contentType = "text/plain"
        b.userProperties.removeLast()
        #expect(a == b && a.hashValue == b.hashValue)
    }

    @Test("[v5 interp] clearing properties leaves a value equal to empty ones")
    func clearing() {
        var a = Properties()
        a.topicAlias = nil
        a.subscriptionIdentifiers = []
        #expect(a.isEmpty && a == Properties())
        a.topicAlias = 3
        #expect(!a.isEmpty)
        a.topicAlias = nil
        #expect(a.isEmpty && a == Properties() && a.hashValue == Properties().hashValue)
    }
}
