import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Timer heap")
struct TimerHeapTests {
    @Test("[v5 interp] a client reconnecting often does not grow the timer heap (moot expiry and Will entries are swept)")
    func reconnectStorm() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 3600 }
        var peak = 0
        for _ in 0..<2000 {
            let c = h.connected("flappy", version: .v5, cleanStart: false, keepAlive: 600,
                                will: will("w", delay: 1800), properties: props)
            h.drop(c)
            h.advance(milliseconds: 10)
            peak = max(peak, h.broker.pendingTimerCount)
        }
        #expect(peak < 100)
        #expect(h.broker.statistics.sessions == 1)
    }

    @Test("[v5 MQTT-3.1.2-23] after the sweep, the live expiry still fires: the session ends on time")
    func sweptHeapStillExpires() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 100 }
        for _ in 0..<300 {
            h.drop(h.connected("flappy", version: .v5, cleanStart: false, properties: props))
        }
        h.advance(seconds: 99)
        #expect(h.broker.statistics.sessions == 1)
        h.advance(seconds: 2)
        #expect(h.broker.statistics.sessions == 0)
    }

    @Test("[v5 MQTT-3.1.3-9] [v5 MQTT-3.1.2-8] the delayed Will of the last connection still fires after sweeps")
    func sweptHeapStillPublishesWill() {
        let h = BrokerHarness()
        let watcher = h.connected("watcher")
        h.subscribe(watcher, "w")
        let props = v5 { $0.sessionExpiryInterval = 3600 }
        for _ in 0..<300 {
            h.drop(h.connected("flappy", version: .v5, cleanStart: false, will: will("w", delay: 50), properties: props))
            h.advance(seconds: 1)
        }
        #expect(h.takePublishes(watcher).isEmpty)
        h.advance(seconds: 50)
        #expect(h.takePublishes(watcher).count == 1)
    }
}
