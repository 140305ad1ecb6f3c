import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Outbound topic aliases")
struct TopicAliasOutboundTests {
    func subscriber(_ h: BrokerHarness, aliasMaximum: UInt16?) -> ConnectionID {
        let s = h.connected("s", version: .v5, properties: v5 { $0.topicAliasMaximum = aliasMaximum })
        h.subscribe(s, "#")
        return s
    }

    @Test("[v5 MQTT-3.3.2-11] [v5 MQTT-3.1.2-26] first send of a topic sets an alias with the full name, later sends use the alias alone")
    func assignThenUse() {
        let h = BrokerHarness()
        let s = subscriber(h, aliasMaximum: 2)
        let p = h.connected("p")
        for topic in ["a", "b", "a", "c", "b", "c"] { h.publish(p, topic) }
        let sent = h.takePublishes(s)
        #expect(sent.map(\.topic) == ["a", "b", "", "c", "", "c"])
        #expect(sent.map(\.properties.topicAlias) == [1, 2, 1, nil, 2, nil])
        #expect(sent.allSatisfy { ($0.properties.topicAlias ?? 0) <= 2 })
    }

    @Test("[v5 MQTT-3.1.2-27] no Topic Alias Maximum (or 0) from the client: no aliases at all")
    func noAliasesWithoutMaximum() {
        for maximum in [nil, 0] as [UInt16?] {
            let h = BrokerHarness()
            let s = subscriber(h, aliasMaximum: maximum)
            let p = h.connected("p")
            h.publish(p, "t")
            h.publish(p, "t")
            #expect(h.takePublishes(s).allSatisfy { $0.properties.topicAlias == nil && $0.topic == "t" })
        }
    }

    @Test("[v5 interp] the broker uses at most outboundTopicAliasMaximum aliases; 0 turns them off")
    func brokerCap() {
        var config = BrokerConfiguration()
        config.outboundTopicAliasMaximum = 1
        let h = BrokerHarness(configuration: config)
        let s = subscriber(h, aliasMaximum: 100)
        let p = h.connected("p")
        for topic in ["a", "b", "a"] { h.publish(p, topic) }
        #expect(h.takePublishes(s).map(\.properties.topicAlias) == [1, nil, 1])
        config.outboundTopicAliasMaximum = 0
        let off = BrokerHarness(configuration: config)
        let s2 = subscriber(off, aliasMaximum: 100)
        off.publish(off.connected("p"), "a")
        #expect(off.takePublishes(s2).map(\.properties.topicAlias) == [nil])
    }

    @Test("[v5 interp] aliases belong to one network connection: a reconnect starts with full topic names again")
    func aliasesResetOnReconnect() {
        let h = BrokerHarness()
        let props = v5 { $0.topicAliasMaximum = 5; $0.sessionExpiryInterval = 60 }
        let s = h.connected("s", version: .v5, cleanStart: false, properties: props)
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        h.publish(p, "t")
        #expect(h.takePublishes(s).map(\.topic) == ["t"])
        h.drop(s)
        let again = h.connected("s", version: .v5, cleanStart: false, properties: props)
        h.publish(p, "t")
        let sent = h.takePublishes(again)
        #expect(sent.map(\.topic) == ["t"])
        #expect(sent.map(\.properties.topicAlias) == [1])
    }

    @Test("[v5 MQTT-3.1.2-25] a PUBLISH dropped as too large does not set its alias")
    func droppedDoesNotAssign() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5, properties: v5 { $0.topicAliasMaximum = 3; $0.maximumPacketSize = 30 })
        h.subscribe(s, "#")
        let p = h.connected("p")
        h.publish(p, "topic", String(repeating: "x", count: 40))
        h.publish(p, "topic", "small")
        let sent = h.takePublishes(s)
        #expect(sent.map(\.topic) == ["topic"])
        #expect(sent.map(\.properties.topicAlias) == [1])
    }

    @Test("[v311 interp] 3.1.1 subscribers never get aliases")
    func v311NoAliases() {
        let h = BrokerHarness()
        let s = h.connected("s")
        h.subscribe(s, "t")
        let p = h.connected("p", version: .v5)
        h.publish(p, "t")
        h.publish(p, "t")
        #expect(h.takePublishes(s).map(\.topic) == ["t", "t"])
    }
}
