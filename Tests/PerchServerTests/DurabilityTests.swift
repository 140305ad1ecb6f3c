#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import PerchBroker
import PerchCodec
import PerchServer
import PerchStore
import PerchTestKit
import Synchronization
import Testing

/// A store that, at each commit with changes pending, peeks at a client socket: on
/// loopback a flushed packet is in the peer's receive queue at once, so bytes there mean
/// the transport flushed before it committed.
final class OrderCheckingStore: BrokerStore, Sendable {
    struct State {
        var watchedFD: Int32 = -1
        var pending = 0
        var committedChanges = 0
        var bytesSeenAtCommit = 0
    }
    let state = Mutex(State())

    func open(now: Timestamp) throws(StoreError) -> RecoveredState { RecoveredState() }
    var hasPendingChanges: Bool { state.withLock { $0.pending > 0 } }
    func apply(_ change: StoreChange) { state.withLock { $0.pending += 1 } }
    func commit(now: Timestamp) throws(StoreError) {
        state.withLock { state in
            guard state.pending > 0, state.watchedFD >= 0 else { return }
            var byte: UInt8 = 0
            let n = recv(state.watchedFD, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            state.bytesSeenAtCommit += max(0, n)
            state.committedChanges += state.pending
            state.pending = 0
        }
    }
    func close(now: Timestamp) throws(StoreError) {}
    var location: String? { nil }
}

@Suite("Durability point")
struct DurabilityTests {
    @Test("[v311 MQTT-3.3.1-5] the store commits a retained message before its PUBACK is written")
    func commitBeforeAck() throws {
        let store = OrderCheckingStore()
        let test = try TestServer(store: store)
        defer { test.stop() }
        let client = try RawClient(port: test.port)
        try client.connect(version: .v311, clientID: "durable")
        store.state.withLock { $0.watchedFD = client.fd }
        try client.publish("state/x", [1], qos: .atLeastOnce, retain: true, packetID: 5)
        #expect(try client.receive() == .puback(PubAck(packetID: PacketID(5)!)))
        let state = store.state.withLock { $0 }
        #expect(state.committedChanges == 1)
        #expect(state.bytesSeenAtCommit == 0)
    }
}
