import Dispatch
import PerchBroker
import PerchCodec
import PerchServer
import PerchStore
import PerchTestKit
import Synchronization
import Testing

/// A store whose commits fail with a full disk while `full` is set (changes stay pending).
final class FullDiskStore: BrokerStore, Sendable {
    struct State {
        var full = false
        var pending = 0
        var committed = 0
    }
    let state = Mutex(State())

    func open(now: Timestamp) throws(StoreError) -> RecoveredState { RecoveredState() }
    func apply(_ change: StoreChange) { state.withLock { $0.pending += 1 } }
    var hasPendingChanges: Bool { state.withLock { $0.pending > 0 } }
    func commit(now: Timestamp) throws(StoreError) {
        let full = state.withLock { state -> Bool in
            guard state.pending > 0 else { return false }
            if state.full { return true }
            state.committed += state.pending
            state.pending = 0
            return false
        }
        if full { throw StoreError(.full, path: "/data/perch.log.1", "cannot write: No space left on device") }
    }
    func close(now: Timestamp) throws(StoreError) {}
    var location: String? { nil }
}

@Suite("Full disk")
struct FullDiskTests {
    @Test("[v311 interp] a full disk refuses a durable acknowledgement by disconnect, keeps serving QoS 0, recovers when space returns")
    func fullDiskRefusesDurableAcks() throws {
        let store = FullDiskStore()
        let test = try TestServer(store: store)
        defer { test.stop() }
        let persistent = try RawClient(port: test.port)
        try persistent.connect(version: .v311, clientID: "keeper", cleanStart: false)
        let clean = try RawClient(port: test.port)
        try clean.connect(version: .v311, clientID: "chatter")
        try clean.subscribe("chat", qos: .atMostOnce)

        store.state.withLock { $0.full = true }
        try persistent.publish("state/x", [1], qos: .atLeastOnce, retain: true, packetID: 5)
        let before = try #require(persistent.expectClosed(), "the client is disconnected")
        #expect(!before.contains(.puback(PubAck(packetID: PacketID(5)!))), "no PUBACK for what is not durable")
        // QoS 0 between clean sessions goes on.
        try clean.publish("chat", [7])
        #expect(try clean.receivePublish().payload == [7])

        store.state.withLock { $0.full = false }
        let again = try RawClient(port: test.port)
        try again.connect(version: .v311, clientID: "keeper", cleanStart: false)
        try again.publish("state/x", [1], qos: .atLeastOnce, retain: true, packetID: 5)
        #expect(try again.receive() == .puback(PubAck(packetID: PacketID(5)!)))
        #expect(store.state.withLock { $0.committed } > 0)
    }
}
