import PerchBroker
import PerchCodec
@testable import PerchStore
import PerchTestKit
import Testing

@Suite("FileStore")
struct FileStoreTests {
    @Test("CRC-32 matches the IEEE check value")
    func crcCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test("CRC-32 eight bytes at a time equals the bit-by-bit definition for every length and alignment")
    func crcMatchesDefinition() {
        func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        var rng = SplitMix64(seed: 5)
        let data = (0..<300).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 7) {
                #expect(CRC32.checksum(data[start..<end]) == reference(data[start..<end]), "bytes \(start)..<\(end)")
            }
        }
    }

    @Test("retained messages round-trip through the log with their v5 properties and wall-clock expiry")
    func retainedRoundTrip() throws {
        let fs = MemoryFileSystem()
        let store = memoryStore(fs)
        #expect(try store.open(now: t0).retained.isEmpty)
        store.apply(.retain(retainedMessage("a/b", "hello", properties: richProperties(), expiry: t0.adding(seconds: 60))))
        store.apply(.retain(retainedMessage("c", "x", qos: .atMostOnce)))
        try store.commit(now: t0)
        // Reopen 10 s later on the wall clock, with a different monotonic origin.
        let later = Timestamp.seconds(5)
        let loaded = try memoryStore(fs, wall: 1_010_000).open(now: later).sortedRetained
        try #require(loaded.count == 2)
        #expect(loaded[0].topic.string == "a/b")
        #expect(loaded[0].payload == Array("hello".utf8))
        #expect(loaded[0].retain)
        #expect(loaded[0].properties == richProperties())
        #expect(loaded[0].expiry == later.adding(seconds: 50))
        #expect(loaded[1].qos == .atMostOnce)
        #expect(loaded[1].expiry == nil)
    }

    @Test("a persistent session round-trips: subscriptions, in-flight stages, queue, share origins, QoS 2 ids, delayed Will")
    func sessionRoundTrip() throws {
        let fs = MemoryFileSystem()
        let store = memoryStore(fs)
        _ = try store.open(now: t0)
        let session = sampleSession("c1", expiresAt: t0.adding(seconds: 100))
        store.apply(.session(session))
        try store.commit(now: t0)
        let sessions = try memoryStore(fs).open(now: t0).sessions
        try #require(sessions.count == 1)
        #expect(summary(sessions[0]) == summary(session))
    }

    @Test("a retain replaces the topic's message, a clear removes it, a session end forgets it")
    func replaceAndClear() throws {
        let fs = MemoryFileSystem()
        let store = memoryStore(fs)
        _ = try store.open(now: t0)
        store.apply(.retain(retainedMessage("x", "1")))
        store.apply(.retain(retainedMessage("y", "1")))
        store.apply(.session(sampleSession("a")))
        store.apply(.session(sampleSession("b")))
        try store.commit(now: t0)
        store.apply(.retain(retainedMessage("x", "2")))
        store.apply(.clearRetained(TopicName(unchecked: "y")))
        store.apply(.clearRetained(TopicName(unchecked: "never")))
        store.apply(.sessionEnded("a"))
        store.apply(.sessionEnded("never"))
        try store.close(now: t0)
        let state = try memoryStore(fs).open(now: t0)
        #expect(state.sortedRetained.map(\.topic.string) == ["x"])
        #expect(state.sortedRetained.first?.payload == Array("2".utf8))
        #expect(state.sessions.map(\.clientID) == ["b"])
    }

    @Test("group commit: one fsync per commit with changes, none without")
    func groupCommit() throws {
        let fs = MemoryFileSystem()
        let store = memoryStore(fs)
        _ = try store.open(now: t0)
        let base = fs.syncs
        for i in 0..<50 { store.apply(.retain(retainedMessage("t/\(i)", "v"))) }
        for i in 0..<50 { store.apply(.session(sampleSession("s\(i)"))) }
        try store.commit(now: t0)
        #expect(fs.syncs == base + 1)
        try store.commit(now: t0)
        try store.commit(now: t0)
        #expect(fs.syncs == base + 1)
        #expect(store.syncs == 1)
    }

    @Test("persistence_sync interval: writes every commit, fsyncs at most every autosave_interval")
    func intervalPolicy() throws {
        let fs = MemoryFileSystem()
        let store = memoryStore(fs, policy: .interval)
        _ = try store.open(now: t0)
        store.apply(.retain(retainedMessage("a", "1")))
        try store.commit(now: t0.adding(seconds: 1))
        #expect(store.syncs == 0)
        store.apply(.retain(retainedMessage("a", "2")))
        try store.commit(now: t0.adding(seconds: 61))
        #expect(store.syncs == 1)
    }

    @Test("compaction writes a snapshot off the loop, removes the sealed logs, and the state survives")
    func compaction() throws {
        let fs = MemoryFileSystem()
        let store = memoryStore(fs, threshold: 2000)
        _ = try store.open(now: t0)
        for round in 0..<40 {
            store.apply(.retain(retainedMessage("t/\(round % 5)", "value \(round)")))
            store.apply(.session(sampleSession("s\(round % 3)")))
            try store.commit(now: t0)
        }
        try store.close(now: t0)
        #expect(fs.names().contains("/data/perch.db"))
        let logs = fs.names().filter { $0.hasPrefix("/data/perch.log.") }
        #expect(logs.count <= 2)
        let totalBytes = fs.used
        // 40 rounds append about 30 KB; live state is about 2.3 KB. How much log is left
        // depends on when the background compactions ran, so the bound has room for a
        // sealed log plus the current one.
        #expect(totalBytes < 16_000, "files stay proportional to live state")
        let state = try memoryStore(fs).open(now: t0)
        #expect(state.sortedRetained.map(\.payload) == (35..<40).map { Array("value \($0)".utf8) })
        #expect(state.retained.count == 5)
        #expect(state.sessions.map(\.clientID) == ["s0", "s1", "s2"])
    }

    @Test("a version 2 log (deliveries without share origins) still loads")
    func versionTwoLog() throws {
        let fs = MemoryFileSystem()
        let store = memoryStore(fs)
        _ = try store.open(now: t0)
        let session = sampleSession("old", shared: false)
        store.apply(.session(session))
        try store.commit(now: t0)
        let log = try #require(fs.names().first { $0.contains("perch.log.") })
        var bytes = try #require(fs.bytes(log))
        #expect(bytes[4...5] == [0, 3])
        bytes[5] = 2
        fs.setBytes(log, bytes)
        let sessions = try memoryStore(fs).open(now: t0).sessions
        try #require(sessions.count == 1)
        #expect(summary(sessions[0]) == summary(session))
    }

    @Test("a version 1 snapshot (retained messages only) still loads")
    func versionOneSnapshot() throws {
        let fs = MemoryFileSystem()
        var bytes = Array("PRCH".utf8) + [0, 1, 0, 0]
        var body: [UInt8] = [0x01, 1, 0, 0, 1, UInt8(ascii: "t"), 0, 0, 0, 1, 7, 0, 0]
        bytes.appendBig(UInt32(body.count))
        bytes.appendBig(CRC32.checksum(body))
        bytes += body
        body = [0x00, 0, 0, 0, 1]
        bytes.appendBig(UInt32(body.count))
        bytes.appendBig(CRC32.checksum(body))
        bytes += body
        fs.setBytes("/data/perch.db", bytes)
        let state = try memoryStore(fs).open(now: t0)
        #expect(state.sortedRetained.map(\.topic.string) == ["t"])
        #expect(state.sortedRetained.first?.retain == true)
        #expect(state.sortedRetained.first?.payload == [7])
    }
}
