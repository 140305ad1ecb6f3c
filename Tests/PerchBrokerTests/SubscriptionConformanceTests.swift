import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

/// Matching, (un)subscribe bookkeeping, ordering, shared delivery and flow control.
@Suite("Subscription conformance")
struct SubscriptionConformanceTests {
    @Test("[v311 MQTT-3.3.2-3] [v5 MQTT-3.3.2-3] the PUBLISH a subscriber gets has a Topic Name its filter matches")
    func topicMatchesFilter() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let s = h.connected("s", version: version)
            h.subscribe(s, "a/+/c")
            let p = h.connected("p")
            for topic in ["a/b/c", "a/b/d", "a/x/c", "a/b/c/d"] { h.publish(p, topic) }
            #expect(h.takePublishes(s).map(\.topic) == ["a/b/c", "a/x/c"])
        }
    }

    @Test("[v311 MQTT-3.10.4-2] [v311 MQTT-3.10.4-6] several filters in one UNSUBSCRIBE: one UNSUBACK, no new messages for them")
    func unsubscribeSeveral311() {
        let h = BrokerHarness()
        let s = h.connected("s")
        h.send(s, subscribePacket(["a", "b", "c"], qos: .atMostOnce))
        _ = h.take(s)
        h.send(s, .unsubscribe(Unsubscribe(packetID: pid(2), filters: ["a", "b"])))
        #expect(h.take(s) == [.unsuback(UnsubAck(packetID: pid(2)))])
        let p = h.connected("p")
        for topic in ["a", "b", "c"] { h.publish(p, topic) }
        #expect(h.takePublishes(s).map(\.topic) == ["c"])
    }

    @Test("[v311 MQTT-4.6.0-6] [v5 MQTT-4.6.0-5] [v5 MQTT-4.6.0-6] one publisher's messages on a topic reach each subscriber in order")
    func orderedTopic() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let a = h.connected("a", version: version)
            h.subscribe(a, "t", qos: .atLeastOnce)
            let b = h.connected("b", version: version)
            h.subscribe(b, "#", qos: .exactlyOnce)
            let p = h.connected("p", version: version)
            for n in 1...30 { h.publish(p, "t", "\(n)", qos: .atLeastOnce, id: UInt16(n)) }
            let expected = (1...30).map { bytes("\($0)") }
            #expect(h.takePublishes(a).map(\.payload) == Array(expected.prefix(20))) // window 20
            #expect(h.takePublishes(b).map(\.payload) == Array(expected.prefix(20)))
        }
    }

    @Test("[v5 MQTT-3.3.4-5] a shared and a non-shared match give two copies, each with its own Subscription Identifier")
    func copiesCarryOwnIdentifier() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "t", identifier: 1)
        h.subscribe(s, "t", id: 2, identifier: 2, share: "g")
        h.publish(h.connected("p"), "t")
        let ids = h.takePublishes(s).map(\.properties.subscriptionIdentifiers)
        #expect(ids.count == 2)
        #expect(Set(ids) == [[1], [2]])
    }

    @Test("[v5 MQTT-3.8.4-4] replacing a subscription with Retain Handling 0 re-sends the retained messages")
    func replacementResendsRetained() {
        let h = BrokerHarness()
        h.publish(h.connected("p"), "t", "kept", retain: true)
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "t", qos: .atMostOnce)
        #expect(h.takePublishes(s).map(\.payload) == [bytes("kept")])
        h.subscribe(s, "t", qos: .atLeastOnce)
        #expect(h.takePublishes(s).map(\.payload) == [bytes("kept")])
    }

    @Test("[v5 MQTT-3.8.4-6] [v5 MQTT-3.8.4-7] one SUBACK code per filter, in order: granted QoS or failure")
    func oneCodePerFilter() {
        var config = BrokerConfiguration()
        config.maximumQoS = .atLeastOnce
        let h = BrokerHarness(configuration: config)
        let c = h.connected("c", version: .v5)
        h.send(c, .subscribe(Subscribe(packetID: pid(1), entries: [
            .valid(Subscription(filter: filter("a"), qos: .atMostOnce)), .invalidFilter("#/x"),
            .valid(Subscription(filter: filter("b"), qos: .exactlyOnce))])))
        #expect(suback(h.take(c))?.reasons == [.granted(.atMostOnce), .topicFilterInvalid, .grantedQoS1])
    }

    @Test("[v5 MQTT-3.10.4-1] UNSUBSCRIBE compares filters literally: 'a/+' does not remove 'a/b'")
    func literalUnsubscribe() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "a/b")
        h.send(s, .unsubscribe(Unsubscribe(packetID: pid(3), filters: ["a/+"])))
        #expect(plain(h.take(s)) == [.unsuback(UnsubAck(packetID: pid(3), reasons: [.noSubscriptionExisted]))])
        h.publish(h.connected("p"), "a/b")
        #expect(h.takePublishes(s).count == 1)
    }

    @Test("[v5 MQTT-3.10.4-3] a QoS 1 delivery started before UNSUBSCRIBE still completes")
    func inflightCompletesAfterUnsubscribe() {
        let props = v5 { $0.sessionExpiryInterval = 60 }
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5, cleanStart: false, properties: props)
        h.subscribe(s, "t", qos: .atLeastOnce)
        h.publish(h.connected("p"), "t", qos: .atLeastOnce)
        let id = h.takePublishes(s)[0].packetID!
        h.send(s, .unsubscribe(Unsubscribe(packetID: pid(5), filters: ["t"])))
        _ = h.take(s)
        h.drop(s)
        let again = h.connect("s", version: .v5, cleanStart: false, properties: props)
        let resent = h.takePublishes(again)
        #expect(resent.map(\.packetID) == [id])
        #expect(resent.first?.dup == true)
    }

    /// §4.8.2 ties this to a QoS 2 delivery; a QoS 1 one SHOULD go to another member
    /// (SharedSubscriptionHandoverTests).
    @Test("[v5 MQTT-4.8.2-5] a shared QoS 2 message in flight to a member whose session ends is not handed to another member")
    func sharedNotRedistributed() {
        let h = BrokerHarness()
        let a = h.connected("a", version: .v5)
        h.subscribe(a, "t", qos: .exactlyOnce, share: "g")
        let b = h.connected("b", version: .v5)
        h.subscribe(b, "t", qos: .exactlyOnce, share: "g")
        h.publish(h.connected("p"), "t", "one", qos: .exactlyOnce)
        let gotA = h.takePublishes(a)
        let gotB = h.takePublishes(b)
        #expect(gotA.count + gotB.count == 1)
        let (holder, other) = gotA.isEmpty ? (b, a) : (a, b)
        h.drop(holder) // session expiry 0: the session ends with the connection, unacknowledged
        #expect(h.takePublishes(other).isEmpty)
        h.send(other, .pingreq)
        #expect(h.take(other) == [.pingresp])
    }

    @Test("[v5 MQTT-4.9.0-1] [v5 MQTT-4.9.0-2] [v5 MQTT-4.9.0-3] send quota starts at the client's Receive Maximum; at zero no QoS>0 PUBLISH, other packets still answered")
    func flowControl() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5, properties: v5 { $0.receiveMaximum = 2 })
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        for n in 1...4 { h.publish(p, "t", "\(n)", qos: .atLeastOnce, id: UInt16(n)) }
        h.publish(p, "t", "zero", qos: .atMostOnce)
        let sent = h.takePublishes(s)
        #expect(sent.map(\.payload) == [bytes("1"), bytes("2"), bytes("zero")]) // QoS 0 is not held back
        h.send(s, .pingreq)
        #expect(h.take(s) == [.pingresp])
        h.send(s, .puback(PubAck(packetID: sent[0].packetID!)))
        #expect(h.takePublishes(s).map(\.payload) == [bytes("3")])
    }
}

@Suite("Wildcard subscriptions switched off")
struct WildcardSwitchTests {
    @Test("[v311 MQTT-3.8.3-2] [v5 interp] without wildcard support every filter with a wildcard is refused (0x80 / v5 0xA2), others granted")
    func wildcardsRefused() throws {
        var config = BrokerConfiguration()
        config.wildcardSubscriptionAvailable = false
        let h = BrokerHarness(configuration: config)
        let old = h.connected("old")
        h.send(old, subscribePacket(["a/+", "a/b", "#"], qos: .atMostOnce))
        let ack = try #require(suback(h.take(old)))
        #expect(ack.reasons == [.wildcardSubscriptionsNotSupported, .granted(.atMostOnce), .wildcardSubscriptionsNotSupported])
        var wire: [UInt8] = []
        Packet.suback(ack).encode(version: .v311, into: &wire)
        #expect(Array(wire.suffix(3)) == [0x80, 0x00, 0x80])
        let modern = h.connect("new", version: .v5)
        #expect(try #require(connack(h.take(modern))).properties.wildcardSubscriptionAvailable == 0)
        h.send(modern, subscribePacket(["x/#"], qos: .atMostOnce))
        #expect(suback(h.take(modern))?.reasons == [.wildcardSubscriptionsNotSupported])
        h.publish(h.connected("p"), "a/b")
        #expect(h.takePublishes(old).map(\.topic) == ["a/b"])
        #expect(h.takePublishes(modern).isEmpty)
    }
}

@Suite("Shared subscriptions and subscription identifiers switched off")
struct CapabilitySwitchTests {
    @Test("[v5 interp] §3.2.2.3.13 without shared subscriptions: advertised 0, a $share filter gets SUBACK 0x9E, others granted")
    func sharedRefused() throws {
        var config = BrokerConfiguration()
        config.sharedSubscriptionAvailable = false
        let h = BrokerHarness(configuration: config)
        let c = h.connect("c", version: .v5)
        #expect(try #require(connack(h.take(c))).properties.sharedSubscriptionAvailable == 0)
        let shared = TopicFilter(unchecked: "$share/g/t", shareName: "g", filter: "t")
        h.send(c, .subscribe(Subscribe(packetID: pid(1), entries: [
            .valid(Subscription(filter: shared, qos: .atMostOnce)), .valid(Subscription(filter: filter("t"), qos: .atMostOnce))])))
        #expect(suback(h.take(c))?.reasons == [.sharedSubscriptionsNotSupported, .granted(.atMostOnce)])
        h.publish(h.connected("p"), "t")
        #expect(h.takePublishes(c).count == 1)
    }

    @Test("[v5 interp] §3.2.2.3.12 without subscription identifiers: advertised 0, a SUBSCRIBE carrying one gets DISCONNECT 0xA1")
    func identifiersRefused() throws {
        var config = BrokerConfiguration()
        config.subscriptionIdentifierAvailable = false
        let h = BrokerHarness(configuration: config)
        let c = h.connect("c", version: .v5)
        #expect(try #require(connack(h.take(c))).properties.subscriptionIdentifierAvailable == 0)
        h.subscribe(c, "t", identifier: 7)
        #expect(disconnectReason(h.take(c)) == .subscriptionIdentifiersNotSupported)
        #expect(h.closed(c))
    }
}
