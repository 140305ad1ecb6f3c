#if canImport(Glibc)
import Glibc
#endif
import PerchBroker
import PerchCodec
@testable import PerchStore
import Testing

/// Writes the start-up benchmark's state (`scripts/bench-durability`): 100,000 retained
/// messages and 10,000 persistent sessions, as a compacted snapshot in
/// `$PERCH_BENCH_STATE_DIR`. Runs only when that variable is set.
@Suite("Benchmark state")
struct BenchStateGenerator {
    static var directory: String? { getenv("PERCH_BENCH_STATE_DIR").map { String(cString: $0) } }

    @Test("writes 100,000 retained messages and 10,000 persistent sessions", .enabled(if: directory != nil))
    func generate() throws {
        let directory = try #require(Self.directory)
        let store = FileStore(directory: directory)
        _ = try store.open(now: t0)
        let payload = [UInt8](repeating: 0x61, count: 64)
        for i in 0..<100_000 {
            store.apply(.retain(Message(topic: TopicName(unchecked: "bench/retained/\(i / 1000)/\(i)"), payload: payload,
                                        qos: .atLeastOnce, retain: true)))
        }
        for i in 0..<10_000 {
            let subscription = DurableSubscription(filter: "bench/session/\(i)", qos: .atLeastOnce, noLocal: false,
                                                   retainAsPublished: false, retainHandling: .sendOnSubscribe,
                                                   identifier: nil, shareName: nil)
            store.apply(.session(DurableSession(clientID: "bench-session-\(i)", version: .v311,
                                                expiryInterval: UInt32.max, expiresAt: nil,
                                                subscriptions: [subscription], deliveries: [], inboundQoS2: [],
                                                delayedWill: nil, willDueAt: nil)))
        }
        try store.commit(now: t0)
        try store.compactNow(now: t0)
        try store.close(now: t0)
        let reopened = try FileStore(directory: directory).open(now: t0)
        #expect(reopened.retained.count == 100_000)
        #expect(reopened.sessions.count == 10_000)
    }
}
