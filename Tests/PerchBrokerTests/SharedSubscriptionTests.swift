import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Shared subscriptions")
struct SharedSubscriptionTests {
    private func subscribeShared(_ h: BrokerHarness, _ c: ConnectionID, _ group: String, _ f: String,
                                 qos: QoS = .atMostOnce, id: UInt16 = 1) {
        let shared = TopicFilter(unchecked: "$share/\(group)/\(f)", shareName: group, filter: f)
        h.send(c, .subscribe(Subscribe(packetID: pid(id), entries: [.valid(Subscription(filter: shared, qos: qos))])))
        _ = h.take(c)
    }

    @Test("[v5 interp] §4.8.2 each message goes to one member of the group, round robin")
    func roundRobin() {
        let h = BrokerHarness()
        let a = h.connected("a", version: .v5)
        let b = h.connected("b", version: .v5)
        let plain = h.connected("plain", version: .v5)
        subscribeShared(h, a, "g", "t/+")
        subscribeShared(h, b, "g", "t/+")
        h.subscribe(plain, "t/#")
        let p = h.connected("p")
        for i in 0..<6 { h.publish(p, "t/x", "\(i)") }
        let gotA = publishes(h.take(a)).count
        let gotB = publishes(h.take(b)).count
        #expect(gotA == 3 && gotB == 3)
        #expect(publishes(h.take(plain)).count == 6)
    }

    @Test("[v5 interp] §4.8.2 two groups on one filter each get a copy")
    func twoGroups() {
        let h = BrokerHarness()
        let a = h.connected("a", version: .v5)
        let b = h.connected("b", version: .v5)
        subscribeShared(h, a, "g1", "t")
        subscribeShared(h, b, "g2", "t")
        let p = h.connected("p")
        h.publish(p, "t")
        #expect(publishes(h.take(a)).count == 1 && publishes(h.take(b)).count == 1)
    }

    @Test("[v5 MQTT-3.3.4-5] [v5 interp] §4.8.2 one client in two groups and with a non-shared match gets three QoS 2 copies, the one past its receive maximum once the window has room")
    func oneClientTwoGroups() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 100; $0.receiveMaximum = 2 }
        let a = h.connected("a", version: .v5, cleanStart: false, properties: props)
        subscribeShared(h, a, "g1", "t/#", qos: .exactlyOnce)
        subscribeShared(h, a, "g2", "+", qos: .exactlyOnce, id: 2)
        h.subscribe(a, "t", qos: .exactlyOnce, id: 3)
        _ = h.take(a)
        let p = h.connected("p")
        h.publish(p, "t", "m", qos: .exactlyOnce, id: 1)
        let now = publishes(h.take(a))
        #expect(now.count == 2 && now.allSatisfy { !$0.dup && $0.payload == Array("m".utf8) })
        h.drop(a)
        let again = h.connect("a", version: .v5, cleanStart: false, properties: props)
        let resumed = publishes(h.take(again))
        #expect(resumed.count == 2 && resumed.allSatisfy(\.dup) && resumed.map(\.packetID) == now.map(\.packetID))
        // The window is full until a PUBCOMP [v5 MQTT-3.3.4-9]; completing one lets the third out.
        h.send(again, .pubrec(PubAck(packetID: resumed[0].packetID!)))
        h.send(again, .pubcomp(PubAck(packetID: resumed[0].packetID!)))
        let third = publishes(h.take(again))
        #expect(third.count == 1 && third.first?.dup == false && third.first?.payload == Array("m".utf8))
        #expect(third.first?.packetID.map { id in !now.contains { $0.packetID == id } } == true)
    }

    @Test("[v5 MQTT-4.8.2-3] shared delivery uses the member's granted QoS; connected members first")
    func grantedQoSAndOnlineFirst() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 100 }
        let a = h.connected("a", version: .v5, cleanStart: false, properties: props)
        let b = h.connected("b", version: .v5)
        subscribeShared(h, a, "g", "t", qos: .atLeastOnce)
        subscribeShared(h, b, "g", "t", qos: .atMostOnce)
        h.drop(a)
        let p = h.connected("p")
        for _ in 0..<3 { h.publish(p, "t", qos: .atLeastOnce, id: 1) }
        #expect(publishes(h.take(b)).map(\.qos) == [.atMostOnce, .atMostOnce, .atMostOnce])
    }

    @Test("[v5 interp] §4.8.2 no retained messages on a new shared subscription; UNSUBSCRIBE by the full filter")
    func retainedAndUnsubscribe() {
        let h = BrokerHarness()
        let p = h.connected("p")
        h.publish(p, "t", retain: true)
        let a = h.connected("a")
        subscribeShared(h, a, "g", "t")
        #expect(h.take(a).isEmpty)
        h.send(a, .unsubscribe(Unsubscribe(packetID: pid(2), filters: ["$share/g/t"])))
        _ = h.take(a)
        h.publish(p, "t")
        #expect(h.take(a).isEmpty)
    }

    @Test("[v5 MQTT-4.8.2-4] [v5 MQTT-4.8.2-6] in-flight shared QoS 2 stays with its member; a failure ack drops it")
    func sharedInflightStays() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 100 }
        let a = h.connected("a", version: .v5, cleanStart: false, properties: props)
        let b = h.connected("b", version: .v5)
        subscribeShared(h, a, "g", "t", qos: .exactlyOnce)
        subscribeShared(h, b, "g", "t", qos: .exactlyOnce)
        let p = h.connected("p")
        h.publish(p, "t", "one", qos: .exactlyOnce, id: 1)
        h.publish(p, "t", "two", qos: .exactlyOnce, id: 2)
        let toA = publishes(h.take(a))
        let toB = publishes(h.take(b))
        #expect(toA.count == 1 && toB.count == 1)
        h.send(b, .pubrec(PubAck(packetID: toB[0].packetID!, reason: .unspecifiedError)))
        #expect(h.take(b).isEmpty && h.take(a).isEmpty)
        h.drop(a)
        let again = h.connect("a", version: .v5, cleanStart: false, properties: props)
        let redelivered = publishes(h.take(again))
        #expect(redelivered.map(\.payload) == toA.map(\.payload))
        #expect(redelivered.first?.dup == true)
    }

    @Test("[v5 interp] a session ending leaves its share groups")
    func sessionEndLeavesGroup() {
        let h = BrokerHarness()
        let a = h.connected("a", version: .v5)
        let b = h.connected("b", version: .v5)
        subscribeShared(h, a, "g", "t")
        subscribeShared(h, b, "g", "t")
        h.drop(a)
        let p = h.connected("p")
        for _ in 0..<4 { h.publish(p, "t") }
        #expect(publishes(h.take(b)).count == 4)
    }
}
