import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Forwarding details (v5)")
struct ForwardingTests {
    @Test("[v5 MQTT-3.3.1-3] [v311 MQTT-3.3.1-3] the publisher's DUP is not propagated")
    func dupNotPropagated() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let s = h.connected("s", version: version)
            h.subscribe(s, "t", qos: .atLeastOnce)
            let p = h.connected("p", version: version)
            h.publish(p, "t", qos: .atLeastOnce, id: 1, dup: true)
            #expect(publishes(h.take(s)).map(\.dup) == [false])
        }
    }

    @Test("[v5 MQTT-3.3.2-4] [v5 MQTT-3.3.2-15] [v5 MQTT-3.3.2-16] [v5 MQTT-3.3.2-17] [v5 MQTT-3.3.2-18] [v5 MQTT-3.3.2-20] properties forwarded unchanged")
    func propertiesForwarded() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "t")
        let p = h.connected("p", version: .v5)
        let sent = v5 {
            $0.payloadFormatIndicator = 1
            $0.responseTopic = "reply/here"
            $0.correlationData = [1, 2, 3]
            $0.contentType = "application/json"
            $0.userProperties = [UserProperty("b", "2"), UserProperty("a", "1"), UserProperty("b", "3")]
        }
        h.publish(p, "t", "{}", properties: sent)
        #expect(publishes(h.take(s)).first?.properties == sent)
    }

    @Test("[v5 MQTT-3.1.3-10] [v5 MQTT-3.1.2-14] [v5 MQTT-3.1.2-15] Will user properties kept in order; Will Retain honoured")
    func willDetails() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "will/#")
        var retained = will("will/a", retain: true)
        retained.properties.userProperties = [UserProperty("z", "1"), UserProperty("a", "2")]
        let a = h.connected("a", version: .v5, will: retained)
        let b = h.connected("b", version: .v5, will: will("will/b"))
        h.drop(a)
        h.drop(b)
        #expect(publishes(h.take(s)).first?.properties.userProperties == retained.properties.userProperties)
        #expect(h.broker.retainedMessages.map(\.topic.string) == ["will/a"])
    }

    @Test("[v5 MQTT-3.3.2-12] every alias from 1 to the advertised maximum is accepted")
    func aliasRange() {
        let h = BrokerHarness()
        let p = h.connected("p", version: .v5)
        for alias: UInt16 in 1...10 { h.publish(p, "t/\(alias)", properties: v5 { $0.topicAlias = alias }) }
        #expect(!h.closed(p))
    }

    @Test("[v5 MQTT-3.2.2-10] with Maximum QoS 0, SUBSCRIBE for QoS 1 and 2 is accepted and granted QoS 0")
    func subscribeAboveMaximumQoS() {
        var config = BrokerConfiguration()
        config.maximumQoS = .atMostOnce
        let h = BrokerHarness(configuration: config)
        let s = h.connected("s", version: .v5)
        h.send(s, .subscribe(Subscribe(packetID: pid(1), entries: [
            .valid(Subscription(filter: filter("a"), qos: .atLeastOnce)),
            .valid(Subscription(filter: filter("b"), qos: .exactlyOnce))])))
        #expect(suback(h.take(s))?.reasons == [.success, .success])
    }

    @Test("[v5 MQTT-3.10.4-2] [v5 MQTT-3.10.4-6] [v5 MQTT-3.8.4-5] several filters in one (UN)SUBSCRIBE; no new messages after")
    func severalFilters() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5, cleanStart: false, properties: v5 { $0.sessionExpiryInterval = 100 })
        h.send(s, subscribePacket(["a", "b", "c"], qos: .atLeastOnce))
        #expect(suback(h.take(s))?.reasons == [.grantedQoS1, .grantedQoS1, .grantedQoS1])
        h.send(s, .unsubscribe(Unsubscribe(packetID: pid(2), filters: ["a", "b"])))
        #expect(h.take(s) == [.unsuback(UnsubAck(packetID: pid(2), reasons: [.success, .success]))])
        h.drop(s)
        let p = h.connected("p")
        for t in ["a", "b", "c"] { h.publish(p, t, qos: .atLeastOnce, id: 1) }
        let again = h.connect("s", version: .v5, cleanStart: false, properties: v5 { $0.sessionExpiryInterval = 100 })
        #expect(publishes(h.take(again)).map(\.topic) == ["c"])
    }

    @Test("[v5 MQTT-3.14.2-2] a DISCONNECT the server sends carries no Session Expiry Interval")
    func serverDisconnectHasNoExpiry() {
        let h = BrokerHarness()
        let c = h.connected("a", version: .v5, keepAlive: 1, properties: v5 { $0.sessionExpiryInterval = 50 })
        h.advance(seconds: 2)
        let packets = h.take(c)
        #expect(packets == [.disconnect(Disconnect(reason: .keepAliveTimeout))])
    }

    @Test("[v5 MQTT-3.1.2-4] [v5 MQTT-3.1.2-6] v5 Clean Start 1 discards the stored session; Clean Start 0 without one creates it")
    func cleanStartV5() throws {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 100 }
        let first = h.connect("a", version: .v5, cleanStart: false, properties: props)
        #expect(try #require(connack(h.take(first))).sessionPresent == false)
        h.subscribe(first, "t")
        h.drop(first)
        let fresh = h.connect("a", version: .v5, cleanStart: true, properties: props)
        #expect(try #require(connack(h.take(fresh))).sessionPresent == false)
        let p = h.connected("p")
        h.publish(p, "t")
        #expect(h.take(fresh).isEmpty)
    }
}
