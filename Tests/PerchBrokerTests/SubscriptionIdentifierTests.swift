import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Subscription identifiers")
struct SubscriptionIdentifierTests {
    @Test("[v5 MQTT-3.3.4-3] a delivery carries the identifier of its subscription, retained ones too")
    func carried() {
        let h = BrokerHarness()
        let p = h.connected("p")
        h.publish(p, "t", "old", retain: true)
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "t", identifier: 42)
        #expect(publishes(h.take(s)).map(\.properties.subscriptionIdentifiers) == [[42]])
        h.publish(p, "t", "new")
        #expect(publishes(h.take(s)).map(\.properties.subscriptionIdentifiers) == [[42]])
    }

    @Test("[v5 MQTT-3.8.4-3] re-subscribing without an identifier removes it from later deliveries")
    func replacedWithout() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "t", identifier: 42)
        h.subscribe(s, "t")
        let p = h.connected("p")
        h.publish(p, "t")
        #expect(publishes(h.take(s)).map(\.properties.subscriptionIdentifiers) == [[]])
    }

    @Test("[v5 interp] the window is min(max_inflight_messages, the client's Receive Maximum)")
    func windowIsMinimum() {
        var config = BrokerConfiguration()
        config.maxInflightMessages = 1
        let h = BrokerHarness(configuration: config)
        let s = h.connected("s", version: .v5, properties: v5 { $0.receiveMaximum = 5 })
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        for i in 1...3 { h.publish(p, "t", qos: .atLeastOnce, id: UInt16(i)) }
        #expect(publishes(h.take(s)).count == 1)
    }

    @Test("[v5 MQTT-3.3.2-6] a forwarded message without expiry carries none; QoS 0 forwards the remaining interval")
    func expiryForwarding() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "t")
        let p = h.connected("p", version: .v5)
        h.publish(p, "t")
        h.publish(p, "t", properties: v5 { $0.messageExpiryInterval = 60 })
        #expect(publishes(h.take(s)).map(\.properties.messageExpiryInterval) == [nil, 60])
    }
}
