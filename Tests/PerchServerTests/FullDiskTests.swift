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

    /// Issue 12 defect 3: while the disk was full no new client could connect, clean
    /// sessions included (closed without CONNACK): every CONNACK waited for a commit that
    /// kept failing on the changes left pending. Only what changes durable state waits now.
    @Test("[v5 MQTT-3.2.0-1] [v311 MQTT-3.2.0-1] while the disk is full, clean sessions connect, subscribe and exchange QoS 1; a persistent session is refused",
          arguments: [ProtocolVersion.v311, .v5])
    func cleanSessionsServedWhileFull(version: ProtocolVersion) throws {
        let store = FullDiskStore()
        let test = try TestServer(store: store)
        defer { test.stop() }
        store.state.withLock { $0.full = true }
        let keeper = try RawClient(port: test.port)
        try keeper.send(.connect(Connect(version: .v311, cleanStart: false, keepAlive: 60, clientID: "keeper")))
        #expect(keeper.expectClosed() == [], "refused without CONNACK; its session stays pending")
        #expect(store.state.withLock { $0.pending } > 0)

        let subscriber = try RawClient(port: test.port)
        #expect(try subscriber.connect(version: version, clientID: "clean-sub").reason == .success)
        #expect(try subscriber.subscribe("clean/+", qos: .atLeastOnce) == [.granted(.atLeastOnce)])
        let publisher = try RawClient(port: test.port)
        #expect(try publisher.connect(version: version, clientID: "clean-pub").reason == .success)
        try publisher.publish("clean/a", [1, 2], qos: .atLeastOnce, packetID: 3)
        let ack = try publisher.receive { if case .puback = $0 { true } else { false } }
        guard case .puback(let puback) = ack else { return }
        #expect(puback.packetID.rawValue == 3 && puback.reason == .success)
        let delivered = try subscriber.receivePublish()
        #expect(delivered.payload == [1, 2])

        // What must be durable is still refused.
        let persistent = try RawClient(port: test.port)
        try persistent.send(.connect(Connect(version: version, cleanStart: false, keepAlive: 60, clientID: "durable",
                                             properties: version == .v5 ? v5Expiry(3600) : Properties())))
        let packets = try #require(persistent.expectClosed())
        #expect(!packets.contains { if case .connack(let c) = $0 { c.reason == .success } else { false } })
    }

    func v5Expiry(_ seconds: UInt32) -> Properties {
        var properties = Properties()
        properties.sessionExpiryInterval = seconds
        return properties
    }
}
