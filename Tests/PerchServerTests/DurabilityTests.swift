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

@Suite("Durability point: output that waits for nothing")
struct UncommittedFlushTests {
    @Test("[v311 interp] QoS 0 to a clean subscriber leaves before the commit its batch waits for; the PUBACK after it")
    func qos0DoesNotWaitForTheDisk() throws {
        let store = OrderCheckingStore()
        let test = try TestServer(store: store)
        defer { test.stop() }
        let subscriber = try RawClient(port: test.port)
        try subscriber.connect(version: .v311, clientID: "listener")
        try subscriber.subscribe("chat", qos: .atMostOnce)
        let publisher = try RawClient(port: test.port)
        try publisher.connect(version: .v311, clientID: "writer")
        store.state.withLock { $0.watchedFD = subscriber.fd }
        // One write, one read, one batch: a durable retained QoS 1 and a QoS 0 chat line.
        var bytes: [UInt8] = []
        Packet.publish(Publish(qos: .atLeastOnce, retain: true, topic: "state/y", packetID: PacketID(9)!, payload: [1]))
            .encode(version: .v311, into: &bytes)
        Packet.publish(Publish(qos: .atMostOnce, topic: "chat", payload: [2])).encode(version: .v311, into: &bytes)
        try publisher.sendRaw(bytes)
        #expect(try publisher.receive() == .puback(PubAck(packetID: PacketID(9)!)))
        #expect(try subscriber.receivePublish().payload == [2])
        let state = store.state.withLock { $0 }
        #expect(state.committedChanges == 1)
        #expect(state.bytesSeenAtCommit == 1, "the QoS 0 PUBLISH was flushed before the commit")
    }

    @Test("[v311 interp] packets whose flow state must be durable wait for the commit")
    func classification() {
        let id = PacketID(1)!
        #expect(Packet.puback(PubAck(packetID: id)).awaitsCommit)
        #expect(Packet.pubrel(PubAck(packetID: id)).awaitsCommit)
        #expect(Packet.pubcomp(PubAck(packetID: id)).awaitsCommit)
        #expect(Packet.publish(Publish(qos: .exactlyOnce, topic: "t", packetID: id, payload: [])).awaitsCommit)
        #expect(!Packet.publish(Publish(qos: .atMostOnce, topic: "t", payload: [])).awaitsCommit)
        #expect(!Packet.pingresp.awaitsCommit)
    }
}
