import PerchBroker
import PerchCodec
@testable import PerchStore
import Testing

/// The store keys retained messages by topic and sessions by client id as bytes: two
/// canonically equivalent spellings (equal as Swift strings) are two entries on disk and
/// after a restart.
@Suite("Store keys are bytes")
struct ByteExactKeyTests {
    static let composed = "caf\u{E9}"
    static let decomposed = "cafe\u{301}"

    @Test("[v5 MQTT-4.7.3-4] [v311 MQTT-3.3.1-5] retained messages on both spellings survive a restart and a snapshot")
    func retainedSurvive() throws {
        let fs = MemoryFileSystem()
        let store = memoryStore(fs)
        _ = try store.open(now: t0)
        store.apply(.retain(retainedMessage(Self.composed, "c")))
        store.apply(.retain(retainedMessage(Self.decomposed, "d")))
        try store.commit(now: t0)
        #expect(store.messages.count == 2)
        try store.close(now: t0)
        let reopened = memoryStore(fs)
        let loaded = try reopened.open(now: t0).retained
        #expect(Set(loaded.map { Array($0.topic.string.utf8) })
            == [Array(Self.composed.utf8), Array(Self.decomposed.utf8)])
        reopened.apply(.clearRetained(TopicName(unchecked: Self.composed)))
        try reopened.compactNow(now: t0)
        try reopened.close(now: t0)
        let compacted = try memoryStore(fs).open(now: t0).retained
        #expect(compacted.map(\.payload) == [Array("d".utf8)])
    }

    @Test("[v5 MQTT-3.1.4-3] sessions of both client id spellings are two sessions; ending one keeps the other")
    func sessionsSurvive() throws {
        let fs = MemoryFileSystem()
        let store = memoryStore(fs)
        _ = try store.open(now: t0)
        store.apply(.session(sampleSession(Self.composed)))
        store.apply(.session(sampleSession(Self.decomposed)))
        try store.commit(now: t0)
        store.apply(.sessionEnded(Self.composed))
        try store.commit(now: t0)
        try store.close(now: t0)
        let sessions = try memoryStore(fs).open(now: t0).sessions
        #expect(sessions.map { Array($0.clientID.utf8) } == [Array(Self.decomposed.utf8)])
    }
}
