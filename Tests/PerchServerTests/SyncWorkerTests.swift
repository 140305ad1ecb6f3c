#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import PerchBroker
import PerchCodec
import PerchServer
import PerchStore
import PerchTestKit
import Synchronization
import Testing

/// A store with a split commit whose fsync (`syncCommit`, run on the server's sync worker)
/// blocks until the test opens the gate, or fails when told to.
final class GatedStore: BrokerStore, Sendable {
    struct State {
        var pending = 0
        var written = 0
        var finished = 0
        var failNext = false
    }
    let state = Mutex(State())
    /// Signalled when a `syncCommit` begins; it then waits for `gate`.
    let syncStarted = DispatchSemaphore(value: 0)
    let gate = DispatchSemaphore(value: 0)
    let gated: Bool

    init(gated: Bool) { self.gated = gated }

    func open(now: Timestamp) throws(StoreError) -> RecoveredState { RecoveredState() }
    func apply(_ change: StoreChange) { state.withLock { $0.pending += 1 } }
    var hasPendingChanges: Bool { state.withLock { $0.pending > 0 } }
    func commit(now: Timestamp) throws(StoreError) {}
    func writeCommit(now: Timestamp) throws(StoreError) -> Bool {
        state.withLock { state in
            guard state.pending > 0 else { return false }
            state.written += state.pending
            state.pending = 0
            return true
        }
    }
    func syncCommit() throws(StoreError) {
        syncStarted.signal()
        if gated { gate.wait() }
        if state.withLock({ state in defer { state.failNext = false }; return state.failNext }) {
            throw StoreError(.io, path: "/data/perch.log.1", "fdatasync: Input/output error")
        }
    }
    func finishCommit(now: Timestamp) { state.withLock { $0.finished += 1 } }
    func close(now: Timestamp) throws(StoreError) {}
    var location: String? { "/gated" }
}

@Suite("Durability point: the fsync off the loop")
struct SyncWorkerTests {
    /// Bytes waiting in the client's receive queue, without taking them.
    private func peek(_ client: RawClient) -> Int {
        var byte: UInt8 = 0
        return max(0, recv(client.fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)))
    }

    @Test("[v311 MQTT-3.3.1-5] [v5 MQTT-3.3.1-5] a PUBACK waits for the fsync the sync worker runs, and follows it")
    func ackWaitsForWorker() throws {
        let store = GatedStore(gated: true)
        let test = try TestServer(store: store)
        defer { test.stop() }
        let client = try RawClient(port: test.port)
        try client.connect(version: .v5, clientID: "durable")
        try client.publish("state/x", [1], qos: .atLeastOnce, retain: true, packetID: 5)
        #expect(store.syncStarted.wait(timeout: .now() + 5) == .success, "the retained message went to the fsync")
        #expect(peek(client) == 0, "nothing released while the fsync runs")
        #expect(store.state.withLock { $0.finished } == 0)
        store.gate.signal()
        let ack = try client.receive()
        guard case .puback(let puback) = ack else { Issue.record("expected PUBACK, got \(String(describing: ack))"); return }
        #expect(puback.packetID == PacketID(5)!)
        #expect(store.state.withLock { ($0.written, $0.finished) } == (1, 1))
        client.disconnect()
    }

    @Test("[v311 interp] an fsync that fails on the worker disconnects the client whose PUBACK it held; the next one is acknowledged")
    func failedSyncDisconnects() throws {
        let store = GatedStore(gated: false)
        let test = try TestServer(store: store)
        defer { test.stop() }
        let first = try RawClient(port: test.port)
        try first.connect(version: .v311, clientID: "keeper", cleanStart: false)
        store.state.withLock { $0.failNext = true }
        try first.publish("state/x", [1], qos: .atLeastOnce, retain: true, packetID: 5)
        let before = try #require(first.expectClosed(), "the client is disconnected")
        #expect(!before.contains(.puback(PubAck(packetID: PacketID(5)!))), "no PUBACK for what is not durable")
        let again = try RawClient(port: test.port)
        try again.connect(version: .v311, clientID: "keeper", cleanStart: false)
        try again.publish("state/x", [2], qos: .atLeastOnce, retain: true, packetID: 6)
        #expect(try again.receive() == .puback(PubAck(packetID: PacketID(6)!)))
        again.disconnect()
    }
}
