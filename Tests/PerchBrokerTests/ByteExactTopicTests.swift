import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

/// MQTT compares topics, client ids and user names as bytes; Swift's `String ==` treats
/// canonically equivalent spellings as equal. `café` precomposed (U+00E9) and decomposed
/// (e + U+0301) are two topics for the broker.
@Suite("Byte-exact names")
struct ByteExactTopicTests {
    static let composed = "caf\u{E9}"
    static let decomposed = "cafe\u{301}"

    @Test("the two spellings are equal as Swift strings and different as bytes (the premise of this suite)")
    func premise() {
        #expect(Self.composed == Self.decomposed)
        #expect(Array(Self.composed.utf8) != Array(Self.decomposed.utf8))
    }

    @Test("[v5 MQTT-4.7.3-4] [v311 MQTT-4.7.3-4] a filter matches only the topic with its exact bytes")
    func subscriptionMatchesBytes() {
        let h = BrokerHarness()
        let p = h.connected("p")
        let s = h.connected("s")
        h.subscribe(s, "room/\(Self.composed)")
        h.publish(p, "room/\(Self.decomposed)", "wrong")
        #expect(h.takePublishes(s).isEmpty)
        h.publish(p, "room/\(Self.composed)", "right")
        #expect(h.takePublishes(s).map(\.payload) == [bytes("right")])
    }

    @Test("[v5 MQTT-4.7.3-4] [v311 MQTT-4.7.3-4] a wildcard filter delivers both spellings under their own bytes")
    func wildcardKeepsBytes() {
        let h = BrokerHarness()
        let p = h.connected("p")
        let s = h.connected("s")
        h.subscribe(s, "room/+")
        h.publish(p, "room/\(Self.composed)", "1")
        h.publish(p, "room/\(Self.decomposed)", "2")
        let topics = h.takePublishes(s).map { Array($0.topic.utf8) }
        #expect(topics == [Array("room/\(Self.composed)".utf8), Array("room/\(Self.decomposed)".utf8)])
    }

    @Test("[v5 MQTT-4.7.3-4] [v311 MQTT-3.3.1-5] retained messages of the two spellings are two retained messages")
    func retainedKeptApart() {
        let h = BrokerHarness()
        let p = h.connected("p")
        h.publish(p, Self.composed, "c", retain: true)
        h.publish(p, Self.decomposed, "d", retain: true)
        #expect(h.broker.retainedMessages.count == 2)
        let s = h.connected("s")
        h.subscribe(s, Self.decomposed)
        #expect(h.takePublishes(s).map(\.payload) == [bytes("d")])
        h.publish(p, Self.composed, "", retain: true) // clears only its own spelling
        #expect(h.broker.retainedMessages.map(\.payload) == [bytes("d")])
    }

    @Test("[v311 MQTT-3.10.4-1] [v5 MQTT-3.10.4-1] UNSUBSCRIBE with the other spelling removes nothing")
    func unsubscribeComparesBytes() {
        let h = BrokerHarness()
        let p = h.connected("p")
        let s = h.connected("s", version: .v5)
        h.subscribe(s, Self.composed)
        h.send(s, .unsubscribe(Unsubscribe(packetID: PacketID(2)!, filters: [Self.decomposed])))
        guard case .unsuback(let ack)? = h.take(s).first else {
            Issue.record("no UNSUBACK")
            return
        }
        #expect(ack.reasons == [.noSubscriptionExisted])
        h.publish(p, Self.composed)
        #expect(h.takePublishes(s).count == 1)
    }

    @Test("[v5 MQTT-3.1.4-3] [v311 MQTT-3.1.4-2] client ids are compared as bytes: the other spelling takes nothing over")
    func clientIDsKeptApart() {
        let h = BrokerHarness()
        let first = h.connected(Self.composed)
        let second = h.connected(Self.decomposed)
        #expect(!h.closed(first) && !h.closed(second))
        #expect(h.broker.statistics.sessions == 2)
        h.subscribe(first, "t")
        let p = h.connected("p")
        h.publish(p, "t")
        #expect(h.takePublishes(first).count == 1 && h.takePublishes(second).isEmpty)
    }

    @Test("[v5 MQTT-4.8.2-1] share names are compared as bytes: two spellings are two groups")
    func shareGroupsKeptApart() {
        let h = BrokerHarness()
        let a = h.connected("a", version: .v5)
        let b = h.connected("b", version: .v5)
        h.subscribe(a, "t", share: Self.composed)
        h.subscribe(b, "t", share: Self.decomposed)
        let p = h.connected("p")
        h.publish(p, "t")
        #expect(h.takePublishes(a).count == 1 && h.takePublishes(b).count == 1)
    }

    @Test("[v5 MQTT-4.7.3-4] TopicName and TopicFilter equality and hashing follow the bytes")
    func validatedTypesCompareBytes() throws {
        let n1 = try TopicName(validating: Self.composed), n2 = try TopicName(validating: Self.decomposed)
        #expect(n1 != n2 && Set([n1, n2]).count == 2)
        #expect(n1 == (try TopicName(validating: "caf\u{E9}")))
        let f1 = TopicFilter(validating: "\(Self.composed)/#")!, f2 = TopicFilter(validating: "\(Self.decomposed)/#")!
        #expect(f1 != f2 && Set([f1, f2]).count == 2)
        #expect(ExactString(Self.composed) != ExactString(Self.decomposed))
        // Byte order: "cafe" + U+0301 sorts before "caf" + U+00E9, since "e" (0x65) < 0xC3.
        #expect(ExactString(Self.decomposed) < ExactString(Self.composed))
    }
}
