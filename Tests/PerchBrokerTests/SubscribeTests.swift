import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("SUBSCRIBE and UNSUBSCRIBE")
struct SubscribeTests {
    @Test("[v311 MQTT-3.8.4-1] [v311 MQTT-3.8.4-4] [v311 MQTT-3.9.3-1] one SUBACK code per entry, in order, same id")
    func subackOrder() {
        let h = BrokerHarness()
        let c = h.connected("a")
        let entries: [SubscribeEntry] = [.valid(Subscription(filter: filter("a"), qos: .exactlyOnce)),
                                         .invalidFilter("a/#/b"),
                                         .valid(Subscription(filter: filter("b/+"), qos: .atMostOnce))]
        h.send(c, .subscribe(Subscribe(packetID: pid(7), entries: entries)))
        #expect(h.take(c) == [.suback(SubAck(packetID: pid(7), reasons: [.grantedQoS2, .unspecifiedError, .success]))])
    }

    @Test("[v5 MQTT-3.9.3-1] v5 invalid filter gets 0x8F, shared subscription granted")
    func subackFailuresV5() {
        let h = BrokerHarness()
        let c = h.connected("a", version: .v5)
        let shared = TopicFilter(unchecked: "$share/g/a", shareName: "g", filter: "a")
        h.send(c, .subscribe(Subscribe(packetID: pid(2), entries: [.invalidFilter("#/a"),
                                                                   .valid(Subscription(filter: shared, qos: .atLeastOnce))])))
        #expect(plain(h.take(c)) == [.suback(SubAck(packetID: pid(2), reasons: [.topicFilterInvalid, .grantedQoS1]))])
    }

    @Test("[v311 MQTT-3.8.4-5] [v311 MQTT-3.8.4-6] granted QoS is min(requested, maximum QoS); delivery downgraded")
    func grantedQoS() {
        var config = BrokerConfiguration()
        config.maximumQoS = .atLeastOnce
        let h = BrokerHarness(configuration: config)
        let c = h.connected("a")
        h.send(c, subscribePacket(["t"], qos: .exactlyOnce))
        #expect(suback(h.take(c))?.reasons == [.grantedQoS1])
    }

    @Test("[v311 MQTT-3.8.4-6] [v5 MQTT-3.8.4-8] delivered QoS is min(published, granted)")
    func deliveredQoS() {
        let h = BrokerHarness()
        let low = h.connected("low")
        let high = h.connected("high")
        h.subscribe(low, "t", qos: .atMostOnce)
        h.subscribe(high, "t", qos: .exactlyOnce)
        let p = h.connected("p")
        h.publish(p, "t", qos: .atLeastOnce, id: 9)
        #expect(publishes(h.take(low)).map(\.qos) == [.atMostOnce])
        #expect(publishes(h.take(high)).map(\.qos) == [.atLeastOnce])
    }

    @Test("[v311 MQTT-4.7.1-2] [v311 MQTT-4.7.1-3] wildcards: + one level, # any levels including the parent")
    func wildcards() {
        let h = BrokerHarness()
        let c = h.connected("a")
        h.subscribe(c, "sport/+/player1")
        h.subscribe(c, "home/#", id: 2)
        let p = h.connected("p")
        for t in ["sport/tennis/player1", "sport/player1", "sport/a/b/player1", "home", "home/x/y", "homes"] {
            h.publish(p, t)
        }
        #expect(Set(publishes(h.take(c)).map(\.topic)) == ["sport/tennis/player1", "home", "home/x/y"])
    }

    @Test("[v311 MQTT-4.7.2-1] [v5 MQTT-4.7.2-1] filters starting with a wildcard do not match $ topics")
    func dollarTopics() {
        let h = BrokerHarness()
        let all = h.connected("all")
        h.subscribe(all, "#")
        h.subscribe(all, "+/info", id: 2)
        let sys = h.connected("sys")
        h.subscribe(sys, "$SYS/#")
        let p = h.connected("p")
        h.publish(p, "$SYS/info")
        h.publish(p, "a/info")
        #expect(publishes(h.take(all)).map(\.topic) == ["a/info"])
        #expect(publishes(h.take(sys)).map(\.topic) == ["$SYS/info"])
    }

    @Test("[v311 MQTT-3.3.5-1] overlapping subscriptions: one delivery at the highest QoS")
    func overlapV311() {
        let h = BrokerHarness()
        let c = h.connected("a")
        h.subscribe(c, "a/+", qos: .atMostOnce)
        h.subscribe(c, "a/#", qos: .exactlyOnce, id: 2)
        h.subscribe(c, "a/b", qos: .atLeastOnce, id: 3)
        let p = h.connected("p")
        h.publish(p, "a/b", qos: .exactlyOnce, id: 1)
        let got = publishes(h.take(c))
        #expect(got.count == 1)
        #expect(got.first?.qos == .exactlyOnce)
    }

    @Test("[v5 MQTT-3.3.4-2] [v5 MQTT-3.3.4-3] [v5 MQTT-3.3.4-5] overlapping v5 subscriptions with several identifiers: one copy per subscription, each with its own identifier")
    func overlapV5() {
        let h = BrokerHarness()
        let c = h.connected("a", version: .v5)
        h.subscribe(c, "a/+", qos: .atLeastOnce, identifier: 5)
        h.subscribe(c, "a/#", qos: .atMostOnce, id: 2, identifier: 7)
        h.subscribe(c, "#", id: 3)
        let p = h.connected("p")
        h.publish(p, "a/b", qos: .atLeastOnce, id: 1)
        let got = publishes(h.take(c))
        #expect(got.count == 3)
        #expect(got.allSatisfy { $0.properties.subscriptionIdentifiers.count <= 1 })
        let byID = Dictionary(got.map { ($0.properties.subscriptionIdentifiers.first ?? 0, $0.qos) }, uniquingKeysWith: max)
        #expect(byID == [5: .atLeastOnce, 7: .atMostOnce, 0: .atMostOnce])
    }

    @Test("[v5 MQTT-3.3.4-2] [v5 MQTT-3.3.4-3] [v5 MQTT-3.3.4-4] overlapping v5 subscriptions with one identifier: one copy at the highest QoS carrying it")
    func overlapV5OneIdentifier() {
        let h = BrokerHarness()
        let c = h.connected("a", version: .v5)
        h.subscribe(c, "a/+", qos: .atMostOnce, identifier: 5)
        h.subscribe(c, "a/#", qos: .exactlyOnce, id: 2)
        let p = h.connected("p")
        h.publish(p, "a/b", qos: .exactlyOnce, id: 1)
        let got = publishes(h.take(c))
        #expect(got.count == 1)
        #expect(got.first?.qos == .exactlyOnce)
        #expect(got.first?.properties.subscriptionIdentifiers == [5])
    }

    @Test("[v311 MQTT-3.8.4-3] [v5 MQTT-3.8.4-3] subscribing to the same filter again replaces it")
    func replaceSubscription() {
        let h = BrokerHarness()
        let c = h.connected("a")
        h.subscribe(c, "t", qos: .atMostOnce)
        h.subscribe(c, "t", qos: .exactlyOnce, id: 2)
        let p = h.connected("p")
        h.publish(p, "t", qos: .exactlyOnce, id: 1)
        let got = publishes(h.take(c))
        #expect(got.count == 1)
        #expect(got.first?.qos == .exactlyOnce)
    }

    @Test("[v311 MQTT-3.10.4-1] [v311 MQTT-3.10.4-4] [v311 MQTT-3.10.4-5] UNSUBSCRIBE compares literally, UNSUBACK always")
    func unsubscribeV311() {
        let h = BrokerHarness()
        let c = h.connected("a")
        h.subscribe(c, "a/+")
        h.send(c, .unsubscribe(Unsubscribe(packetID: pid(4), filters: ["a/b", "nothing"])))
        #expect(h.take(c) == [.unsuback(UnsubAck(packetID: pid(4)))])
        let p = h.connected("p")
        h.publish(p, "a/b")
        #expect(publishes(h.take(c)).count == 1) // "a/b" did not remove "a/+"
        h.send(c, .unsubscribe(Unsubscribe(packetID: pid(5), filters: ["a/+"])))
        h.publish(p, "a/b")
        #expect(h.take(c) == [.unsuback(UnsubAck(packetID: pid(5)))])
    }

    @Test("[v5 MQTT-3.11.3-1] [v5 MQTT-3.10.4-5] v5 UNSUBACK codes 0x00 / 0x11 per filter")
    func unsubscribeV5() {
        let h = BrokerHarness()
        let c = h.connected("a", version: .v5)
        h.subscribe(c, "x")
        h.send(c, .unsubscribe(Unsubscribe(packetID: pid(4), filters: ["x", "y"])))
        #expect(h.take(c) == [.unsuback(UnsubAck(packetID: pid(4), reasons: [.success, .noSubscriptionExisted]))])
    }

    @Test("[v311 MQTT-3.10.4-3] in-flight deliveries complete after UNSUBSCRIBE")
    func inflightSurvivesUnsubscribe() {
        let h = BrokerHarness()
        let c = h.connected("a")
        h.subscribe(c, "t", qos: .exactlyOnce)
        let p = h.connected("p")
        h.publish(p, "t", qos: .exactlyOnce, id: 1)
        let sent = publishes(h.take(c))
        let id = sent[0].packetID!
        h.send(c, .unsubscribe(Unsubscribe(packetID: pid(2), filters: ["t"])))
        _ = h.take(c)
        h.send(c, .pubrec(PubAck(packetID: id)))
        #expect(h.take(c) == [.pubrel(PubAck(packetID: id))])
        h.send(c, .pubcomp(PubAck(packetID: id)))
        #expect(h.take(c).isEmpty)
    }

    @Test("[v5 MQTT-3.8.3-3] No Local: not delivered back to the publisher's client id")
    func noLocal() {
        let h = BrokerHarness()
        let c = h.connected("a", version: .v5)
        h.subscribe(c, "t", noLocal: true)
        h.subscribe(c, "u")
        h.publish(c, "t")
        h.publish(c, "u")
        #expect(publishes(h.take(c)).map(\.topic) == ["u"])
        let other = h.connected("b")
        h.publish(other, "t")
        #expect(publishes(h.take(c)).map(\.topic) == ["t"])
    }

    @Test("[v5 interp] SUBSCRIBE may reuse a packet id that is in use outbound (ids are per direction)")
    func packetIDPerDirection() {
        let h = BrokerHarness()
        let c = h.connected("a")
        h.subscribe(c, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        h.publish(p, "t", qos: .atLeastOnce, id: 1)
        let outbound = publishes(h.take(c))[0].packetID!
        h.send(c, subscribePacket(["u"], id: outbound.rawValue))
        #expect(suback(h.take(c))?.packetID == outbound)
    }
}
