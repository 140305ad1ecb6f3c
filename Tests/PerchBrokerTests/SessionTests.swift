import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Sessions and takeover")
struct SessionTests {
    @Test("[v311 MQTT-3.1.2-4] [v311 MQTT-3.2.2-2] clean session 0 resumes the session with Session Present 1")
    func sessionPresentV311() {
        let h = BrokerHarness()
        let a = h.connect("a", cleanStart: false)
        #expect(h.take(a) == [accepted(false)])
        h.subscribe(a, "t", qos: .atLeastOnce)
        h.send(a, .disconnect(Disconnect()))
        let again = h.connect("a", cleanStart: false)
        #expect(h.take(again) == [accepted(true)])
        let p = h.connected("p")
        h.publish(p, "t", qos: .atLeastOnce, id: 3)
        #expect(publishes(h.take(again)).count == 1) // the subscription survived
    }

    @Test("[v311 MQTT-3.1.2-6] [v311 MQTT-3.2.2-1] clean session 1 discards the old session, Session Present 0")
    func cleanSessionDiscards() {
        let h = BrokerHarness()
        let a = h.connected("a", cleanStart: false)
        h.subscribe(a, "t")
        h.drop(a)
        let again = h.connect("a", cleanStart: true)
        #expect(h.take(again) == [accepted(false)])
        let p = h.connected("p")
        h.publish(p, "t")
        #expect(h.take(again).isEmpty)
    }

    @Test("[v5 MQTT-3.2.2-3] [v5 MQTT-3.1.2-23] [v5 MQTT-3.1.2-5] v5 session with expiry interval survives the close and is present")
    func sessionExpiryKeepsV5() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 60 }
        let a = h.connected("a", version: .v5, cleanStart: false, properties: props)
        h.drop(a)
        h.advance(seconds: 59)
        let again = h.connect("a", version: .v5, cleanStart: false, properties: props)
        #expect(connack(h.take(again))?.sessionPresent == true)
    }

    @Test("[v5 MQTT-3.1.2-23] [v5 MQTT-4.1.0-2] v5 session expires at its deadline and is removed")
    func sessionExpiresV5() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 60 }
        let a = h.connected("a", version: .v5, cleanStart: false, properties: props)
        h.drop(a)
        #expect(h.broker.statistics.sessions == 1)
        h.advance(seconds: 60)
        #expect(h.broker.statistics.sessions == 0)
        let again = h.connect("a", version: .v5, cleanStart: false, properties: props)
        #expect(connack(h.take(again))?.sessionPresent == false)
    }

    @Test("[v5 MQTT-3.1.2-23] v5 expiry absent: the session ends at close")
    func noExpiryEndsV5() {
        let h = BrokerHarness()
        let a = h.connected("a", version: .v5, cleanStart: false)
        h.drop(a)
        #expect(h.broker.statistics.sessions == 0)
    }

    @Test("[v5 interp] Session Expiry 0xFFFFFFFF never expires; 3.1.1 clean session 0 never expires")
    func neverExpires() {
        let h = BrokerHarness()
        let a = h.connected("a", version: .v5, cleanStart: false, properties: v5 { $0.sessionExpiryInterval = .max })
        let b = h.connected("b", cleanStart: false)
        h.drop(a)
        h.drop(b)
        h.advance(seconds: 10_000_000)
        #expect(h.broker.statistics.sessions == 2)
        #expect(h.broker.nextDeadline == nil)
    }

    @Test("[v5 interp] §3.14.2.2.2 DISCONNECT may change Session Expiry Interval when CONNECT had non-zero")
    func disconnectChangesExpiry() {
        let h = BrokerHarness()
        let a = h.connected("a", version: .v5, cleanStart: false, properties: v5 { $0.sessionExpiryInterval = 10 })
        h.send(a, .disconnect(Disconnect(properties: v5 { $0.sessionExpiryInterval = 0 })))
        #expect(h.closed(a))
        #expect(h.broker.statistics.sessions == 0)
    }

    @Test("[v5 interp] §3.14.2.2.2 DISCONNECT with non-zero expiry after CONNECT with 0 gets DISCONNECT 0x82")
    func disconnectRaisesZeroExpiry() {
        let h = BrokerHarness()
        let a = h.connected("a", version: .v5)
        h.send(a, .disconnect(Disconnect(properties: v5 { $0.sessionExpiryInterval = 30 })))
        #expect(h.take(a) == [.disconnect(Disconnect(reason: .protocolError))])
        #expect(h.closed(a))
        #expect(h.broker.statistics.sessions == 0)
    }

    @Test("[v311 MQTT-3.1.4-2] takeover closes the old 3.1.1 connection without a packet; session continues")
    func takeoverV311() {
        let h = BrokerHarness()
        let old = h.connected("a", cleanStart: false)
        h.subscribe(old, "t")
        let new = h.connect("a", cleanStart: false)
        #expect(h.take(old).isEmpty)
        #expect(h.closed(old))
        #expect(h.take(new) == [accepted(true)])
        let p = h.connected("p")
        h.publish(p, "t")
        #expect(publishes(h.take(new)).count == 1)
    }

    @Test("[v5 MQTT-3.1.4-3] takeover sends DISCONNECT 0x8E to the old v5 connection")
    func takeoverV5() {
        let h = BrokerHarness()
        let old = h.connected("a", version: .v5)
        let new = h.connect("a", version: .v5)
        #expect(h.take(old) == [.disconnect(Disconnect(reason: .sessionTakenOver))])
        #expect(h.closed(old))
        #expect(connack(h.take(new))?.reason == .success)
        #expect(h.broker.statistics.connectedClients == 1)
    }

    @Test("[v311 MQTT-3.1.4-2] [v311 MQTT-3.1.2-8] the taken-over connection's Will is published")
    func takeoverPublishesWill() {
        let h = BrokerHarness()
        let watcher = h.connected("w")
        h.subscribe(watcher, "will/#")
        _ = h.connected("a", will: will("will/a"))
        _ = h.connect("a")
        #expect(publishes(h.take(watcher)).map(\.topic) == ["will/a"])
    }

    @Test("[v5 MQTT-3.1.3-9] takeover continuing the session cancels a delayed Will")
    func takeoverCancelsDelayedWill() {
        let h = BrokerHarness()
        let watcher = h.connected("w")
        h.subscribe(watcher, "will/#")
        let props = v5 { $0.sessionExpiryInterval = 100 }
        _ = h.connected("a", version: .v5, cleanStart: false, will: will("will/a", delay: 10), properties: props)
        _ = h.connect("a", version: .v5, cleanStart: false, properties: props)
        h.advance(seconds: 20)
        #expect(h.take(watcher).isEmpty)
    }

    @Test("[v5 interp] §3.1.3.2.2 takeover with Clean Start 1 publishes the old Will even with a delay")
    func takeoverCleanStartPublishesDelayedWill() {
        let h = BrokerHarness()
        let watcher = h.connected("w")
        h.subscribe(watcher, "will/#")
        let props = v5 { $0.sessionExpiryInterval = 100 }
        _ = h.connected("a", version: .v5, cleanStart: false, will: will("will/a", delay: 10), properties: props)
        _ = h.connect("a", version: .v5, cleanStart: true, properties: props)
        #expect(publishes(h.take(watcher)).map(\.topic) == ["will/a"])
    }

    @Test("[v311 MQTT-3.1.2-6] [v311 MQTT-3.2.2-3] taking over a Clean Session 1 connection does not inherit its session")
    func takeoverOfCleanSession() {
        let h = BrokerHarness()
        let old = h.connected("a", cleanStart: true)
        h.subscribe(old, "t")
        let new = h.connect("a", cleanStart: false)
        #expect(h.take(new) == [accepted(false)])
        let p = h.connected("p")
        h.publish(p, "t")
        #expect(h.take(new).isEmpty)
    }
}
