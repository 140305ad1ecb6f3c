import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Wills")
struct WillTests {
    private func watcher(_ h: BrokerHarness) -> ConnectionID {
        let w = h.connected("watcher")
        h.subscribe(w, "will/#", qos: .exactlyOnce)
        return w
    }

    @Test("[v311 MQTT-3.1.2-8] [v311 MQTT-3.1.2-10] Will published on network close, then discarded")
    func networkClose() {
        let h = BrokerHarness()
        let w = watcher(h)
        let c = h.connected("a", will: will("will/a", "bye", qos: .atLeastOnce))
        h.drop(c)
        let got = publishes(h.take(w))
        #expect(got.map(\.payload) == [bytes("bye")])
        #expect(got.first?.qos == .atLeastOnce)
    }

    @Test("[v311 MQTT-3.14.4-3] [v5 MQTT-3.14.4-3] DISCONNECT discards the Will")
    func normalDisconnect() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let w = watcher(h)
            let c = h.connected("a", version: version, will: will("will/a"))
            h.send(c, .disconnect(Disconnect()))
            #expect(h.closed(c))
            #expect(h.take(w).isEmpty)
        }
    }

    @Test("[v5 MQTT-3.1.2-8] DISCONNECT 0x04, or with an error code, publishes the Will")
    func disconnectWithWill() {
        let h = BrokerHarness()
        let w = watcher(h)
        let a = h.connected("a", version: .v5, will: will("will/a"))
        h.send(a, .disconnect(Disconnect(reason: .disconnectWithWill)))
        let b = h.connected("b", version: .v5, will: will("will/b"))
        h.send(b, .disconnect(Disconnect(reason: .unspecifiedError)))
        #expect(publishes(h.take(w)).map(\.topic) == ["will/a", "will/b"])
        #expect(h.closed(a) && h.closed(b))
    }

    @Test("[v311 MQTT-3.1.2-16] [v311 MQTT-3.1.2-17] Will retain flag honoured")
    func willRetain() {
        let h = BrokerHarness()
        let retained = h.connected("a", will: will("will/a", retain: true))
        let plain = h.connected("b", will: will("will/b", retain: false))
        h.drop(retained)
        h.drop(plain)
        #expect(h.broker.retainedMessages.map(\.topic.string) == ["will/a"])
    }

    @Test("[v5 MQTT-3.1.2-8] Will Delay: published after the delay when the session outlives the connection")
    func willDelay() {
        let h = BrokerHarness()
        let w = watcher(h)
        let c = h.connected("a", version: .v5, cleanStart: false,
                            will: will("will/a", delay: 10), properties: v5 { $0.sessionExpiryInterval = 100 })
        h.drop(c)
        h.advance(seconds: 9)
        #expect(h.take(w).isEmpty)
        h.advance(seconds: 1)
        #expect(publishes(h.take(w)).count == 1)
    }

    @Test("[v5 MQTT-3.1.2-8] Will Delay longer than the session: published when the session ends")
    func willDelayBeyondSession() {
        let h = BrokerHarness()
        let w = watcher(h)
        let c = h.connected("a", version: .v5, cleanStart: false,
                            will: will("will/a", delay: 100), properties: v5 { $0.sessionExpiryInterval = 5 })
        h.drop(c)
        h.advance(seconds: 4)
        #expect(h.take(w).isEmpty)
        h.advance(seconds: 1)
        #expect(publishes(h.take(w)).count == 1)
        h.advance(seconds: 200)
        #expect(h.take(w).isEmpty)
    }

    @Test("[v5 MQTT-3.1.2-8] Will Delay with Session Expiry 0: published at close")
    func willDelayNoSession() {
        let h = BrokerHarness()
        let w = watcher(h)
        let c = h.connected("a", version: .v5, will: will("will/a", delay: 30))
        h.drop(c)
        #expect(publishes(h.take(w)).count == 1)
    }

    @Test("[v5 MQTT-3.1.3-9] reconnecting before the Will Delay cancels the Will")
    func reconnectCancels() {
        let h = BrokerHarness()
        let w = watcher(h)
        let props = v5 { $0.sessionExpiryInterval = 100 }
        let c = h.connected("a", version: .v5, cleanStart: false, will: will("will/a", delay: 10), properties: props)
        h.drop(c)
        h.advance(seconds: 5)
        _ = h.connected("a", version: .v5, cleanStart: false, properties: props)
        h.advance(seconds: 50)
        #expect(h.take(w).isEmpty)
    }

    @Test("[v311 MQTT-3.1.2-8] Will published on protocol error and keep-alive expiry, not on shutdown")
    func triggers() {
        let h = BrokerHarness()
        let w = watcher(h)
        let a = h.connected("a", will: will("will/a"))
        h.send(a, .connect(Connect(version: .v311, cleanStart: true, keepAlive: 0, clientID: "a")))
        let b = h.connected("b", keepAlive: 1, will: will("will/b"))
        h.advance(seconds: 2)
        #expect(h.closed(b))
        #expect(Set(publishes(h.take(w)).map(\.topic)) == ["will/a", "will/b"])
    }

    @Test("[v5 interp] Will properties forwarded, Will Delay stripped, origin for No Local")
    func willProperties() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "will/#")
        var w = will("will/a", delay: 0)
        w.properties.contentType = "text/plain"
        let c = h.connected("a", version: .v5, will: w)
        h.drop(c)
        let got = publishes(h.take(s))
        #expect(got.first?.properties.contentType == "text/plain")
        #expect(got.first?.properties.willDelayInterval == nil)
    }
}

@Suite("Will expiry")
struct WillExpiryTests {
    @Test("[v5 interp] §3.1.3.2.4 the Will's Message Expiry Interval counts from when it is published")
    func willExpiryFromPublication() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "will/#")
        var w = will("will/a")
        w.properties.messageExpiryInterval = 30
        let c = h.connected("a", version: .v5, will: w)
        h.advance(seconds: 100)
        h.drop(c)
        #expect(publishes(h.take(s)).first?.properties.messageExpiryInterval == 30)
    }
}

@Suite("Will and session end")
struct WillSessionEndTests {
    @Test("[v5 interp] §3.1.3.2.2 reconnecting with Clean Start 1 ends the old session: its delayed Will is published")
    func cleanStartPublishesDelayedWill() {
        let h = BrokerHarness()
        let w = h.connected("w")
        h.subscribe(w, "will/#")
        let props = v5 { $0.sessionExpiryInterval = 100 }
        let c = h.connected("a", version: .v5, cleanStart: false, will: will("will/a", delay: 50), properties: props)
        h.drop(c)
        #expect(h.take(w).isEmpty)
        _ = h.connected("a", version: .v5, cleanStart: true)
        #expect(publishes(h.take(w)).count == 1)
        h.advance(seconds: 60)
        #expect(h.take(w).isEmpty)
    }
}
