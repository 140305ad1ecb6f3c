import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Keep alive")
struct KeepAliveTests {
    @Test("[v311 MQTT-3.1.2-24] no packet for 1.5 x keep alive closes the connection, Will published")
    func expiresV311() {
        let h = BrokerHarness()
        let watcher = h.connected("w")
        h.subscribe(watcher, "will/#")
        let c = h.connected("a", keepAlive: 10, will: will("will/a"))
        h.advance(milliseconds: 14_999)
        #expect(!h.closed(c))
        h.advance(milliseconds: 1)
        #expect(h.closed(c))
        #expect(h.take(c).isEmpty)
        #expect(publishes(h.take(watcher)).map(\.topic) == ["will/a"])
    }

    @Test("[v5 MQTT-3.1.2-22] v5 keep alive expiry sends DISCONNECT 0x8D then closes")
    func expiresV5() {
        let h = BrokerHarness()
        let c = h.connected("a", version: .v5, keepAlive: 4)
        h.advance(seconds: 6)
        #expect(h.take(c) == [.disconnect(Disconnect(reason: .keepAliveTimeout))])
        #expect(h.closed(c))
    }

    @Test("[v311 MQTT-3.1.2-24] any packet resets the keep-alive timer")
    func packetResets() {
        let h = BrokerHarness()
        let c = h.connected("a", keepAlive: 10)
        for _ in 0..<5 {
            h.advance(seconds: 14)
            h.publish(c, "t")
        }
        #expect(!h.closed(c))
        h.advance(seconds: 15)
        #expect(h.closed(c))
    }

    @Test("[v311 interp] keep alive 0 is never timed")
    func zeroKeepAlive() {
        let h = BrokerHarness()
        let c = h.connected("a", keepAlive: 0)
        #expect(h.broker.nextDeadline != nil) // the CONNECT timeout entry only
        h.advance(seconds: 100_000)
        #expect(!h.closed(c))
        #expect(h.broker.nextDeadline == nil)
    }
}
