import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Statistics")
struct StatisticsTests {
    @Test("[v5 interp] statistics count clients, sessions, messages, retained and drops")
    func counts() {
        let h = BrokerHarness()
        let s = h.connected("s", cleanStart: false)
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        h.publish(p, "t", retain: true)
        h.publish(p, "t", qos: .atLeastOnce, id: 1)
        h.drop(s)
        h.publish(p, "t") // QoS 0 to an offline session: dropped
        let stats = h.broker.statistics
        #expect(stats.connectedClients == 1)
        #expect(stats.sessions == 2)
        #expect(stats.messagesReceived == 3)
        #expect(stats.messagesSent == 2) // both live publishes reached s
        #expect(stats.retainedMessages == 1)
        #expect(stats.droppedMessages == 1)
    }
}
