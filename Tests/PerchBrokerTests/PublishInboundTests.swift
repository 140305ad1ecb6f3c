import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Inbound PUBLISH")
struct PublishInboundTests {
    @Test("[v311 MQTT-4.3.1-1] QoS 0: no acknowledgement, delivered")
    func qos0() {
        let h = BrokerHarness()
        let s = h.connected("s")
        h.subscribe(s, "t")
        let p = h.connected("p")
        h.publish(p, "t", "hello")
        #expect(h.take(p).isEmpty)
        #expect(h.take(s) == [.publish(Publish(qos: .atMostOnce, topic: "t", payload: bytes("hello")))])
    }

    @Test("[v311 MQTT-4.3.2-2] [v5 MQTT-4.3.2-4] QoS 1 gets PUBACK with the same id")
    func qos1() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let p = h.connected("p", version: version)
            h.publish(p, "t", qos: .atLeastOnce, id: 42)
            #expect(h.take(p) == [.puback(PubAck(packetID: pid(42)))])
        }
    }

    @Test("[v311 MQTT-4.3.3-2] [v5 MQTT-4.3.3-8] [v5 MQTT-4.3.3-10] [v5 MQTT-4.3.3-12] QoS 2: PUBREC, repeat before PUBREL re-PUBREC'd and not delivered again")
    func qos2Duplicate() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let s = h.connected("s")
            h.subscribe(s, "t", qos: .exactlyOnce)
            let p = h.connected("p", version: version)
            h.publish(p, "t", qos: .exactlyOnce, id: 5)
            #expect(h.take(p) == [.pubrec(PubAck(packetID: pid(5)))])
            #expect(publishes(h.take(s)).count == 1) // delivered on PUBLISH
            h.publish(p, "t", qos: .exactlyOnce, id: 5, dup: true)
            #expect(h.take(p) == [.pubrec(PubAck(packetID: pid(5)))])
            #expect(h.take(s).isEmpty)
            h.send(p, .pubrel(PubAck(packetID: pid(5))))
            #expect(h.take(p) == [.pubcomp(PubAck(packetID: pid(5)))])
            h.publish(p, "t", qos: .exactlyOnce, id: 5)
            #expect(publishes(h.take(s)).count == 1) // a new message after the flow completed
        }
    }

    @Test("[v311 MQTT-4.3.3-2] PUBREL for an unknown id still gets PUBCOMP")
    func unknownPubRelV311() {
        let h = BrokerHarness()
        let p = h.connected("p")
        h.send(p, .pubrel(PubAck(packetID: pid(77))))
        #expect(h.take(p) == [.pubcomp(PubAck(packetID: pid(77)))])
    }

    @Test("[v5 MQTT-4.3.3-11] v5 PUBREL for an unknown id gets PUBCOMP 0x92")
    func unknownPubRelV5() {
        let h = BrokerHarness()
        let p = h.connected("p", version: .v5)
        h.send(p, .pubrel(PubAck(packetID: pid(77))))
        #expect(h.take(p) == [.pubcomp(PubAck(packetID: pid(77), reason: .packetIdentifierNotFound))])
    }

    @Test("[v5 MQTT-4.3.3-10] QoS 2 inbound ids survive a reconnect of a persistent session")
    func qos2IdsInSession() {
        let h = BrokerHarness()
        let s = h.connected("s")
        h.subscribe(s, "t", qos: .exactlyOnce)
        let props = v5 { $0.sessionExpiryInterval = 100 }
        let p = h.connected("p", version: .v5, cleanStart: false, properties: props)
        h.publish(p, "t", qos: .exactlyOnce, id: 5)
        h.drop(p)
        let again = h.connected("p", version: .v5, cleanStart: false, properties: props)
        h.publish(again, "t", qos: .exactlyOnce, id: 5, dup: true)
        #expect(h.take(again) == [.pubrec(PubAck(packetID: pid(5)))])
        #expect(publishes(h.take(s)).count == 1)
    }

    @Test("[v5 interp] §3.3.4 more unacknowledged QoS 2 than Receive Maximum: DISCONNECT 0x93")
    func receiveMaximumExceeded() {
        var config = BrokerConfiguration()
        config.receiveMaximum = 2
        let h = BrokerHarness(configuration: config)
        let p = h.connected("p", version: .v5)
        h.publish(p, "t", qos: .exactlyOnce, id: 1)
        h.publish(p, "t", qos: .exactlyOnce, id: 2)
        #expect(!h.closed(p))
        h.publish(p, "t", qos: .atLeastOnce, id: 3)
        #expect(h.take(p).last == .disconnect(Disconnect(reason: .receiveMaximumExceeded)))
        #expect(h.closed(p))
    }

    @Test("[v5 interp] QoS above Maximum QoS: DISCONNECT 0x9B")
    func qosNotSupported() {
        var config = BrokerConfiguration()
        config.maximumQoS = .atLeastOnce
        let h = BrokerHarness(configuration: config)
        let p = h.connected("p", version: .v5)
        h.publish(p, "t", qos: .exactlyOnce, id: 1)
        #expect(h.take(p) == [.disconnect(Disconnect(reason: .qosNotSupported))])
        #expect(h.closed(p))
    }

    @Test("[v5 interp] RETAIN while Retain Available 0: DISCONNECT 0x9A")
    func retainNotSupported() {
        var config = BrokerConfiguration()
        config.retainAvailable = false
        let h = BrokerHarness(configuration: config)
        let p = h.connected("p", version: .v5)
        h.publish(p, "t", retain: true)
        #expect(h.take(p) == [.disconnect(Disconnect(reason: .retainNotSupported))])
        #expect(h.closed(p))
    }

    @Test("[v5 interp] §3.3.4 a client PUBLISH with a Subscription Identifier: DISCONNECT 0x82")
    func subscriptionIdentifierFromClient() {
        let h = BrokerHarness()
        let p = h.connected("p", version: .v5)
        h.publish(p, "t", properties: v5 { $0.subscriptionIdentifiers = [3] })
        #expect(h.take(p) == [.disconnect(Disconnect(reason: .protocolError))])
    }

    @Test("[v5 interp] §3.3.2.3.2 Payload Format Indicator 1 with invalid UTF-8: PUBACK 0x99, not delivered")
    func payloadFormatInvalid() {
        let h = BrokerHarness()
        let s = h.connected("s")
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p", version: .v5)
        let bad = Publish(qos: .atLeastOnce, topic: "t", packetID: pid(1),
                          properties: v5 { $0.payloadFormatIndicator = 1 }, payload: [0xFF, 0xFE])
        h.send(p, .publish(bad))
        #expect(h.take(p) == [.puback(PubAck(packetID: pid(1), reason: .payloadFormatInvalid))])
        #expect(h.take(s).isEmpty)
        h.publish(p, "t", "ok", qos: .exactlyOnce, id: 2, properties: v5 { $0.payloadFormatIndicator = 1 })
        #expect(h.take(p) == [.pubrec(PubAck(packetID: pid(2)))])
        #expect(publishes(h.take(s)).count == 1)
    }

    @Test("[v5 interp] §4.13.2 payload above message_size_limit: v5 PUBACK 0x97, 3.1.1 acked (MQTT-3.3.5-2), dropped")
    func messageSizeLimit() {
        var config = BrokerConfiguration()
        config.messageSizeLimit = 4
        let h = BrokerHarness(configuration: config)
        let s = h.connected("s")
        h.subscribe(s, "t", qos: .atLeastOnce)
        let a = h.connected("a", version: .v5)
        let b = h.connected("b")
        h.publish(a, "t", "too long", qos: .atLeastOnce, id: 1)
        h.publish(b, "t", "too long", qos: .exactlyOnce, id: 1)
        #expect(h.take(a) == [.puback(PubAck(packetID: pid(1), reason: .quotaExceeded))])
        #expect(h.take(b) == [.pubrec(PubAck(packetID: pid(1), reason: .quotaExceeded))])
        #expect(h.take(s).isEmpty)
        h.publish(b, "t", "ok", qos: .atLeastOnce, id: 2)
        #expect(publishes(h.take(s)).count == 1)
    }

    @Test("[v5 MQTT-3.3.2-8] [v5 MQTT-3.1.2-27] topic alias: set with a topic, used with an empty topic, never forwarded")
    func topicAlias() {
        let h = BrokerHarness()
        let s = h.connected("s")
        h.subscribe(s, "long/topic")
        let p = h.connected("p", version: .v5)
        h.publish(p, "long/topic", "1", properties: v5 { $0.topicAlias = 3 })
        h.publish(p, "", "2", properties: v5 { $0.topicAlias = 3 })
        let got = publishes(h.take(s))
        #expect(got.map(\.topic) == ["long/topic", "long/topic"])
        #expect(got.map(\.properties.topicAlias) == [nil, nil])
        #expect(!h.closed(p))
    }

    @Test("[v5 interp] §3.3.2.3.4 topic alias 0 or above the maximum: DISCONNECT 0x94")
    func topicAliasInvalid() {
        let h = BrokerHarness()
        for alias: UInt16 in [0, 11] {
            let p = h.connected("p\(alias)", version: .v5)
            h.publish(p, "t", properties: v5 { $0.topicAlias = alias })
            #expect(h.take(p) == [.disconnect(Disconnect(reason: .topicAliasInvalid))])
            #expect(h.closed(p))
        }
    }

    @Test("[v5 interp] §3.3.4 unknown topic alias with an empty topic: DISCONNECT 0x82")
    func topicAliasUnknown() {
        let h = BrokerHarness()
        let p = h.connected("p", version: .v5)
        h.publish(p, "", properties: v5 { $0.topicAlias = 2 })
        #expect(h.take(p) == [.disconnect(Disconnect(reason: .protocolError))])
    }

    @Test("[v5 MQTT-3.3.2-7] topic aliases belong to the connection, not the session")
    func topicAliasPerConnection() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 100 }
        let p = h.connected("p", version: .v5, cleanStart: false, properties: props)
        h.publish(p, "t", properties: v5 { $0.topicAlias = 1 })
        h.send(p, .disconnect(Disconnect()))
        let again = h.connected("p", version: .v5, cleanStart: false, properties: props)
        h.publish(again, "", properties: v5 { $0.topicAlias = 1 })
        #expect(h.take(again) == [.disconnect(Disconnect(reason: .protocolError))])
    }
}
