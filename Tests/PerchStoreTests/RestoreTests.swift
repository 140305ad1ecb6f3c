import PerchBroker
import PerchCodec
@testable import PerchStore
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
}
