import PerchBroker
import PerchCodec
@testable import PerchStore
import Testing

private func message(_ topic: String, _ payload: String, qos: QoS = .atLeastOnce,
                     properties: Properties = Properties(), expiry: Timestamp? = nil) -> Message {
    Message(topic: TopicName(unchecked: topic), payload: Array(payload.utf8), qos: qos, retain: true,
            properties: properties, expiry: expiry)
}

private func richProperties() -> Properties {
    var p = Properties()
    p.payloadFormatIndicator = 1
    p.contentType = "text/plain"
    p.responseTopic = "reply/here"
    p.correlationData = [1, 2, 3]
    p.userProperties = [UserProperty("a", "1"), UserProperty("a", "2"), UserProperty("ü", "é")]
    return p
}

@Suite("FileStore")
struct FileStoreTests {
    let t0 = Timestamp.seconds(1000)

    @Test("CRC-32 matches the IEEE check value")
    func crcCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test("retained messages round-trip through a snapshot with their v5 properties and expiry")
    func roundTrip() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = FileStore(directory: dir.path, autosaveInterval: 1800, wallClock: { 1_000_000 })
        #expect(try store.open(now: t0).isEmpty)
        store.apply(.retain(message("a/b", "hello", properties: richProperties(), expiry: t0.adding(seconds: 60))))
        store.apply(.retain(message("c", "", qos: .atMostOnce)))
        try store.close(now: t0)
        #expect(dir.exists("perch.db"))

        // Reopen 10 s later on the wall clock, with a different monotonic origin.
        let reopened = FileStore(directory: dir.path, autosaveInterval: 1800, wallClock: { 1_010_000 })
        let later = Timestamp.seconds(5)
        let loaded = try reopened.open(now: later).sorted { $0.topic.string < $1.topic.string }
        try #require(loaded.count == 2)
        #expect(loaded[0].topic.string == "a/b")
        #expect(loaded[0].payload == Array("hello".utf8))
        #expect(loaded[0].qos == .atLeastOnce)
        #expect(loaded[0].retain)
        #expect(loaded[0].properties == richProperties())
        #expect(loaded[0].expiry == later.adding(seconds: 50))
        #expect(loaded[1].topic.string == "c")
        #expect(loaded[1].payload.isEmpty)
        #expect(loaded[1].qos == .atMostOnce)
        #expect(loaded[1].expiry == nil)
    }

    @Test("a retain replaces the topic's message and a clear removes it")
    func replaceAndClear() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = FileStore(directory: dir.path)
        _ = try store.open(now: t0)
        store.apply(.retain(message("x", "1")))
        store.apply(.retain(message("y", "1")))
        store.apply(.retain(message("x", "2")))
        store.apply(.clearRetained(TopicName(unchecked: "y")))
        store.apply(.clearRetained(TopicName(unchecked: "never")))
        try store.close(now: t0)
        let loaded = try FileStore(directory: dir.path).open(now: t0)
        #expect(loaded.map(\.topic.string) == ["x"])
        #expect(loaded.first?.payload == Array("2".utf8))
    }

    @Test("commit writes only when dirty and the autosave interval has passed")
    func autosave() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = FileStore(directory: dir.path, autosaveInterval: 10)
        _ = try store.open(now: t0)
        try store.commit(now: t0.adding(seconds: 20))
        #expect(store.snapshotsWritten == 0)
        store.apply(.retain(message("x", "1")))
        try store.commit(now: t0.adding(seconds: 5))
        #expect(store.snapshotsWritten == 0)
        try store.commit(now: t0.adding(seconds: 10))
        #expect(store.snapshotsWritten == 1)
        store.apply(.retain(message("x", "2")))
        try store.commit(now: t0.adding(seconds: 15))
        #expect(store.snapshotsWritten == 1)
        try store.close(now: t0.adding(seconds: 16))
        #expect(store.snapshotsWritten == 2)
    }

    @Test("close after a load with no change writes nothing")
    func closeWithoutChange() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let first = FileStore(directory: dir.path)
        _ = try first.open(now: t0)
        first.apply(.retain(message("x", "1")))
        try first.close(now: t0)
        #expect(first.snapshotsWritten == 1)
        let second = FileStore(directory: dir.path)
        #expect(try second.open(now: t0).count == 1)
        try second.close(now: t0)
        #expect(second.snapshotsWritten == 0)
    }

    @Test("the snapshot is written through a temp file and renamed; no temp file is left behind")
    func atomicWrite() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = FileStore(directory: dir.path)
        _ = try store.open(now: t0)
        store.apply(.retain(message("x", "old")))
        try store.close(now: t0)
        // A stale temp file from a crash mid-write is ignored and replaced.
        dir.write([0xDE, 0xAD], to: "perch.db.tmp")
        let again = FileStore(directory: dir.path)
        #expect(try again.open(now: t0).map(\.payload) == [Array("old".utf8)])
        again.apply(.retain(message("x", "new")))
        try again.close(now: t0)
        #expect(!dir.exists("perch.db.tmp"))
        let bytes = try #require(dir.read("perch.db"))
        #expect(Array(bytes.prefix(4)) == Array("PRCH".utf8))
        #expect(try FileStore(directory: dir.path).open(now: t0).map(\.payload) == [Array("new".utf8)])
    }

    @Test("a missing directory is created, with its parents")
    func createsDirectory() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove(); rmdirs(dir.path + "/a/b", dir.path + "/a") }
        let store = FileStore(directory: dir.path + "/a/b")
        #expect(try store.open(now: t0).isEmpty)
        store.apply(.retain(message("x", "1")))
        try store.close(now: t0)
        #expect(dir.exists("a/b/perch.db"))
        unlinkFile(dir.path + "/a/b/perch.db")
    }
}
