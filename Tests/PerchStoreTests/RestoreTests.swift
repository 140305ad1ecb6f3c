import PerchBroker
import PerchCodec
@testable import PerchStore
import PerchTestKit
import Testing

@Suite("Restore: deadlines on the wall clock")
struct RestoreTests {
    @Test("[v5 MQTT-3.1.2-8] [v5 MQTT-3.1.2-23] a delayed Will and a session expiry survive a restart at their wall-clock deadlines")
    func deadlinesSurviveRestart() throws {
        let fs = MemoryFileSystem()
        let store = memoryStore(fs, wall: 1_000_000)
        _ = try store.open(now: t0)
        let broker = Broker(configuration: BrokerConfiguration())
        var actions: [BrokerAction] = []
        var properties = Properties()
        properties.sessionExpiryInterval = 100
        var willProperties = Properties()
        willProperties.willDelayInterval = 50
        let will = Will(topic: TopicName(unchecked: "gone/s"), payload: [1], qos: .atLeastOnce, retain: true,
                        properties: willProperties)
        let id = ConnectionID(1)
        broker.handle(.opened(id), now: t0, into: &actions)
        broker.handle(.packet(id, .connect(Connect(version: .v5, cleanStart: true, keepAlive: 0, clientID: "s",
                                                   will: will, properties: properties))), now: t0, into: &actions)
        broker.handle(.closed(id), now: t0, into: &actions)
        broker.takeDurableChanges(into: &actions)
        for case .persist(let change) in actions { store.apply(change) }
        try store.commit(now: t0)

        // 30 s later on the wall clock, the monotonic clock restarted at 5 s.
        let start = Timestamp.seconds(5)
        let state = try memoryStore(fs, wall: 1_030_000).open(now: start)
        let restored = Broker(configuration: BrokerConfiguration(), retained: state.retained)
        restored.restore(sessions: state.sessions, now: start)
        #expect(restored.statistics.sessions == 1)
        #expect(restored.nextDeadline == start.adding(seconds: 20), "the Will is due 50 s after the close")
        actions = []
        restored.handle(.tick, now: start.adding(seconds: 20), into: &actions)
        #expect(restored.retainedMessages.map(\.topic.string) == ["gone/s"], "the delayed Will was published")
        #expect(restored.nextDeadline == start.adding(seconds: 70), "the session expires 100 s after the close")
        restored.handle(.tick, now: start.adding(seconds: 70), into: &actions)
        #expect(restored.statistics.sessions == 0)
    }

    @Test("[v5 interp] §4.8.2 after a restart, a share group member whose session ends still hands its unacknowledged QoS 1 messages to the rest of the group")
    func sharedDeliveriesKeepTheirGroup() throws {
        let fs = MemoryFileSystem()
        let store = memoryStore(fs)
        _ = try store.open(now: t0)
        let before = BrokerHarness(start: t0)
        let shared = TopicFilter(unchecked: "$share/g/jobs", shareName: "g", filter: "jobs")
        var member = Properties()
        member.sessionExpiryInterval = 100
        member.receiveMaximum = 1
        for id in ["a", "b"] {
            let c = before.connected(id, version: .v5, cleanStart: true, properties: member)
            before.send(c, .subscribe(Subscribe(packetID: PacketID(1)!,
                                                entries: [.valid(Subscription(filter: shared, qos: .atLeastOnce))])))
        }
        let p = before.connected("p")
        // Both windows hold one message: each member gets one in flight and one queued.
        for i in 1...4 { before.publish(p, "jobs", "\(i)", qos: .atLeastOnce, id: UInt16(i)) }
        var changes: [BrokerAction] = []
        before.broker.takeDurableChanges(into: &changes)
        for case .persist(let change) in before.actions + changes { store.apply(change) }
        try store.commit(now: t0)

        // Crash and restart: both members are restored disconnected with their messages.
        let state = try memoryStore(fs).open(now: t0)
        let after = BrokerHarness(start: t0.adding(seconds: 1))
        after.broker.restore(sessions: state.sessions, now: after.now)
        var resume = member
        resume.receiveMaximum = 10
        let b = after.connect("b", version: .v5, cleanStart: false, properties: resume)
        var received = after.takePublishes(b)
        #expect(received.count == 2, "b's own in-flight and queued message")
        // a starts afresh: its old session ends and hands its two messages to b.
        _ = after.connected("a", version: .v5, cleanStart: true)
        received += after.takePublishes(b)
        #expect(received.map { String(decoding: $0.payload, as: UTF8.self) }.sorted() == ["1", "2", "3", "4"])
    }
}
