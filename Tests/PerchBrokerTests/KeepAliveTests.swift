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

@Suite("Keep-alive sweeps")
struct KeepAliveSweepTests {
    @Test("[v311 interp] keep-alive checks are coarse: many connections share wakeups, closing at most 500 ms late")
    func sharedWakeups() {
        let h = BrokerHarness(start: Timestamp(milliseconds: 0))
        var connections: [ConnectionID] = []
        for i in 0..<50 {
            h.advance(milliseconds: 7)
            connections.append(h.connected("c\(i)", keepAlive: 2))
        }
        var wakeups = 0
        var last = h.now
        while let deadline = h.broker.nextDeadline, deadline.milliseconds <= 5_000 {
            if deadline != last { wakeups += 1 }
            last = deadline
            h.advance(milliseconds: deadline.milliseconds - h.now.milliseconds)
        }
        #expect(connections.allSatisfy { h.closed($0) })
        #expect(wakeups <= 10) // 50 connections, each due at a different millisecond
    }
}
