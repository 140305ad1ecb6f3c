import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

/// How a share group spreads messages when members are busy or leave (v5 §4.8.2).
@Suite("Shared subscriptions: busy and leaving members")
struct SharedSubscriptionHandoverTests {
    private func member(_ h: BrokerHarness, _ id: String, receiveMaximum: UInt16, expiry: UInt32 = 0) -> ConnectionID {
        let properties = v5 {
            $0.receiveMaximum = receiveMaximum
            if expiry > 0 { $0.sessionExpiryInterval = expiry }
        }
        let c = h.connected(id, version: .v5, cleanStart: true, properties: properties)
        let shared = TopicFilter(unchecked: "$share/g/jobs", shareName: "g", filter: "jobs")
        h.send(c, .subscribe(Subscribe(packetID: pid(1), entries: [.valid(Subscription(filter: shared, qos: .exactlyOnce))])))
        _ = h.take(c)
        return c
    }

    @Test("[v5 interp] §4.8.2 round robin skips a member whose in-flight window is full")
    func skipsFullMember() {
        let h = BrokerHarness()
        let a = member(h, "a", receiveMaximum: 1)
        let b = member(h, "b", receiveMaximum: 10)
        let p = h.connected("p")
        for i in 1...5 { h.publish(p, "jobs", "\(i)", qos: .atLeastOnce, id: UInt16(i)) }
        #expect(publishes(h.take(a)).map(\.payload) == [Array("1".utf8)])
        #expect(publishes(h.take(b)).map(\.payload) == ["2", "3", "4", "5"].map { Array($0.utf8) })
    }

    @Test("[v5 interp] §4.8.2 a member that disconnects hands its queued and in-flight QoS 1 messages to the rest of the group")
    func disconnectHandsOver() {
        let h = BrokerHarness()
        let a = member(h, "a", receiveMaximum: 1, expiry: 100)
        let b = member(h, "b", receiveMaximum: 1)
        let p = h.connected("p")
        for i in 1...4 { h.publish(p, "jobs", "\(i)", qos: .atLeastOnce, id: UInt16(i)) }
        let toA = publishes(h.take(a))
        var toB = publishes(h.take(b))
        #expect(toA.count == 1 && toB.count == 1)   // both windows full, the rest queued
        h.drop(a)
        // b works through everything that is left, acknowledging as it goes.
        var seen = toB.map(\.payload)
        for _ in 0..<6 {
            guard let last = toB.last?.packetID else { break }
            h.send(b, .puback(PubAck(packetID: last)))
            toB = publishes(h.take(b))
            seen += toB.map(\.payload)
        }
        #expect(Set(seen + toA.map(\.payload)) == Set((1...4).map { Array("\($0)".utf8) }))
        #expect(Set(seen).isSuperset(of: toA.map(\.payload)))   // a's in-flight QoS 1 message moved to b
        // a comes back: what was handed over is not delivered to it again.
        let again = h.connect("a", version: .v5, cleanStart: false, properties: v5 { $0.sessionExpiryInterval = 100 })
        #expect(publishes(h.take(again)).isEmpty)
    }

    @Test("[v5 MQTT-4.8.2-5] a member's session ending drops its in-flight QoS 2 message rather than handing it on")
    func sessionEndDropsQoS2() {
        let h = BrokerHarness()
        let a = member(h, "a", receiveMaximum: 10)
        let b = member(h, "b", receiveMaximum: 10)
        let p = h.connected("p")
        h.publish(p, "jobs", "one", qos: .exactlyOnce, id: 1)
        h.publish(p, "jobs", "two", qos: .exactlyOnce, id: 2)
        #expect(publishes(h.take(a)).count == 1)
        #expect(publishes(h.take(b)).count == 1)
        h.drop(a)   // clean session: it ends now
        #expect(publishes(h.take(b)).isEmpty)
    }

    @Test("[v5 interp] §4.8.2 a member that unsubscribes hands its queued messages to the rest of the group")
    func unsubscribeHandsOverQueued() {
        let h = BrokerHarness()
        let a = member(h, "a", receiveMaximum: 1)
        let b = member(h, "b", receiveMaximum: 10)
        let p = h.connected("p")
        h.publish(p, "jobs", "1", qos: .atLeastOnce, id: 1)   // a (in flight)
        h.publish(p, "jobs", "2", qos: .atLeastOnce, id: 2)   // b
        _ = h.take(a)
        _ = h.take(b)
        // Fill b's window so the next message must queue somewhere.
        for i in 3...12 { h.publish(p, "jobs", "\(i)", qos: .atLeastOnce, id: UInt16(i)) }
        _ = h.take(b)
        h.publish(p, "jobs", "13", qos: .atLeastOnce, id: 13)   // every window full: queued at a member
        h.send(a, .unsubscribe(Unsubscribe(packetID: pid(9), filters: ["$share/g/jobs"])))
        _ = h.take(a)
        h.send(a, .puback(PubAck(packetID: pid(1))))   // a's in-flight delivery still completes [MQTT-3.10.4-3]
        #expect(publishes(h.take(a)).isEmpty)           // nothing more for a
    }
}
