import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Retained messages")
struct RetainedTests {
    @Test("[v311 MQTT-3.3.1-5] [v311 MQTT-3.3.1-6] [v311 MQTT-3.3.1-8] retained message stored and sent to new subscribers with RETAIN=1")
    func storeAndSend() {
        let h = BrokerHarness()
        let p = h.connected("p")
        h.publish(p, "a/b", "v", qos: .atLeastOnce, id: 1, retain: true)
        #expect(h.broker.retainedMessages.map(\.topic.string) == ["a/b"])
        guard case .retain(let stored)? = h.persisted.first else {
            Issue.record("no persist action")
            return
        }
        #expect(stored.payload == bytes("v") && stored.qos == .atLeastOnce)
        let s = h.connected("s")
        h.subscribe(s, "a/+", qos: .exactlyOnce)
        let got = publishes(h.take(s))
        #expect(got.count == 1)
        #expect(got.first?.retain == true && got.first?.qos == .atLeastOnce)
    }

    @Test("[v311 MQTT-3.3.1-7] [v5 MQTT-3.3.1-5] a new retained message replaces the old one")
    func replace() {
        let h = BrokerHarness()
        let p = h.connected("p")
        h.publish(p, "t", "old", retain: true)
        h.publish(p, "t", "new", retain: true)
        #expect(h.broker.retainedMessages.map(\.payload) == [bytes("new")])
    }

    @Test("[v311 MQTT-3.3.1-10] [v311 MQTT-3.3.1-11] [v5 MQTT-3.3.1-6] [v5 MQTT-3.3.1-7] empty retained payload clears and is not stored")
    func clear() {
        let h = BrokerHarness()
        let p = h.connected("p")
        h.publish(p, "t", "v", retain: true)
        h.clearPersisted()
        let s = h.connected("s")
        h.subscribe(s, "t")
        _ = h.take(s)
        h.publish(p, "t", "", retain: true)
        #expect(publishes(h.take(s)).count == 1) // still forwarded to current subscribers
        #expect(h.broker.retainedMessages.isEmpty)
        guard case .clearRetained(let cleared)? = h.persisted.first else {
            Issue.record("no clear action")
            return
        }
        #expect(cleared.string == "t")
        let late = h.connected("late")
        h.subscribe(late, "t")
        #expect(h.take(late).isEmpty)
    }

    @Test("[v311 MQTT-3.3.1-12] [v5 MQTT-3.3.1-8] RETAIN=0 leaves the retained message alone")
    func retainZero() {
        let h = BrokerHarness()
        let p = h.connected("p")
        h.publish(p, "t", "kept", retain: true)
        h.publish(p, "t", "plain")
        #expect(h.broker.retainedMessages.map(\.payload) == [bytes("kept")])
    }

    @Test("[v311 MQTT-3.3.1-9] [v5 MQTT-3.3.1-12] established subscriptions get RETAIN=0")
    func forwardedRetainZero() {
        let h = BrokerHarness()
        let s = h.connected("s")
        h.subscribe(s, "t")
        let p = h.connected("p")
        h.publish(p, "t", retain: true)
        #expect(publishes(h.take(s)).first?.retain == false)
    }

    @Test("[v5 MQTT-3.3.1-13] Retain As Published forwards the RETAIN flag as received")
    func retainAsPublished() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "t", retainAsPublished: true)
        let p = h.connected("p")
        h.publish(p, "t", retain: true)
        h.publish(p, "t", "plain")
        #expect(publishes(h.take(s)).map(\.retain) == [true, false])
    }

    @Test("[v5 MQTT-3.3.1-9] [v5 MQTT-3.3.1-10] [v5 MQTT-3.3.1-11] Retain Handling 0, 1, 2")
    func retainHandling() {
        let h = BrokerHarness()
        let p = h.connected("p")
        h.publish(p, "t", retain: true)
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "t", retainHandling: .sendOnSubscribe)
        h.subscribe(s, "t", retainHandling: .sendOnSubscribe)
        #expect(publishes(h.take(s)).count == 2)
        h.subscribe(s, "#", retainHandling: .sendOnNewSubscribe)
        h.subscribe(s, "#", retainHandling: .sendOnNewSubscribe)
        #expect(publishes(h.take(s)).count == 1)
        h.subscribe(s, "+", retainHandling: .doNotSend)
        #expect(h.take(s).isEmpty)
    }

    @Test("[v311 MQTT-3.8.4-3] re-subscribing re-sends retained messages (3.1.1)")
    func resubscribeResends() {
        let h = BrokerHarness()
        let p = h.connected("p")
        h.publish(p, "t", retain: true)
        let s = h.connected("s")
        h.subscribe(s, "t")
        h.subscribe(s, "t")
        #expect(publishes(h.take(s)).count == 2)
    }

    @Test("[v311 MQTT-4.7.2-1] retained $ topics are not matched by wildcard-first filters; a/# matches a")
    func retainedMatching() {
        let h = BrokerHarness()
        let p = h.connected("p")
        for t in ["$SYS/x", "a", "a/b", "a/b/c", "b"] { h.publish(p, t, t, retain: true) }
        let s = h.connected("s")
        h.subscribe(s, "#")
        #expect(Set(publishes(h.take(s)).map(\.topic)) == ["a", "a/b", "a/b/c", "b"])
        h.subscribe(s, "a/#")
        #expect(Set(publishes(h.take(s)).map(\.topic)) == ["a", "a/b", "a/b/c"])
        h.subscribe(s, "+/+")
        #expect(Set(publishes(h.take(s)).map(\.topic)) == ["a/b"])
        h.subscribe(s, "$SYS/+")
        #expect(Set(publishes(h.take(s)).map(\.topic)) == ["$SYS/x"])
    }

    @Test("[v5 interp] retained messages given at init are served; expired ones are not")
    func initialAndExpired() {
        let start = Timestamp(milliseconds: 1_000_000)
        let fresh = Message(topic: topic("a"), payload: bytes("1"), qos: .atMostOnce, retain: true)
        let stale = Message(topic: topic("b"), payload: bytes("2"), qos: .atMostOnce, retain: true,
                            expiry: start.adding(seconds: 5))
        let h = BrokerHarness(retained: [fresh, stale], start: start)
        #expect(h.broker.statistics.retainedMessages == 2)
        h.advance(seconds: 6)
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "#")
        #expect(publishes(h.take(s)).map(\.topic) == ["a"])
    }

    @Test("[v311 MQTT-3.1.2.7] retained messages are not session state: they survive session end")
    func notSessionState() {
        let h = BrokerHarness()
        let p = h.connected("p")
        h.publish(p, "t", retain: true)
        h.send(p, .disconnect(Disconnect()))
        #expect(h.broker.statistics.sessions == 0)
        #expect(h.broker.retainedMessages.count == 1)
    }
}

/// Issue 12: the retained messages a subscription matches are delivered whole, under flow
/// control, however many there are: the retained store is not a queue, so
/// `max_queued_messages` does not cut them (mosquitto's issue #2887 cuts them there).
@Suite("Retained burst on subscribe")
struct RetainedBurstTests {
    /// A broker holding `count` QoS 1 retained messages `r/0` ... `r/<count-1>`.
    func broker(retained count: Int, configure: (inout BrokerConfiguration) -> Void = { _ in }) -> BrokerHarness {
        var configuration = BrokerConfiguration()
        configure(&configuration)
        let h = BrokerHarness(configuration: configuration)
        let p = h.connected("p")
        for i in 0..<count { h.publish(p, "r/\(i)", "v\(i)", qos: .atLeastOnce, id: UInt16(i % 60_000 + 1), retain: true) }
        h.drop(p)
        return h
    }

    /// Acknowledges every QoS 1 PUBLISH as it arrives until none comes; what arrived.
    func drain(_ h: BrokerHarness, _ c: ConnectionID) -> [Publish] {
        var received: [Publish] = []
        while true {
            let batch = h.takePublishes(c)
            if batch.isEmpty { return received }
            received += batch
            for publish in batch {
                if let id = publish.packetID { h.send(c, .puback(PubAck(packetID: id))) }
            }
        }
    }

    @Test("[v311 MQTT-3.3.1-6] [v5 MQTT-3.3.1-9] 50,000 retained messages to a QoS 1 `#` subscriber: all arrive, in the window, none cut by max_queued_messages 1000")
    func wholeBurstQoS1() {
        let h = broker(retained: 50_000)
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "#", qos: .atLeastOnce)
        let first = h.sent(s).count
        #expect(first == 20) // max_inflight_messages: the rest waits for acknowledgements
        let received = drain(h, s)
        #expect(received.count == 50_000)
        #expect(Set(received.map(\.topic)).count == 50_000)
        let allRetained = received.allSatisfy { $0.retain }
        #expect(allRetained) // [v311 MQTT-3.3.1-8] [v5 MQTT-3.3.1-9]
        #expect(h.broker.statistics.queueOverflows == 0)
        #expect(h.broker.invariantViolations().isEmpty)
    }

    @Test("[v311 MQTT-3.3.1-6] the burst does not use the live queue: a live QoS 1 message during the burst is queued, not dropped, and arrives after the burst")
    func liveMessageDuringBurst() {
        let h = broker(retained: 3000) { $0.maxQueuedMessages = 10 }
        let s = h.connected("s")
        h.subscribe(s, "#", qos: .atLeastOnce)
        let p = h.connected("p2")
        for i in 0..<5 { h.publish(p, "live", "l\(i)", qos: .atLeastOnce, id: UInt16(i + 1)) }
        let received = drain(h, s)
        #expect(received.count == 3005)
        let burstRetained = received.prefix(3000).allSatisfy { $0.retain }
        let live = received.suffix(5).map { $0.payload }
        #expect(burstRetained)
        #expect(live == (0..<5).map { Array("l\($0)".utf8) })
        #expect(h.broker.statistics.queueOverflows == 0)
    }

    @Test("[v311 MQTT-3.3.1-6] [v5 MQTT-3.3.1-9] at QoS 0 the burst goes out 256 KiB at a time, the next part when the transport reports the output drained: all 5,000 of 1 KB arrive")
    func qos0BurstPacedByDrain() {
        let h = BrokerHarness()
        let p = h.connected("p")
        let payload = String(repeating: "x", count: 1000)
        for i in 0..<5000 { h.publish(p, "r/\(i)", payload, retain: true) }
        h.drainsAtOnce = false
        let s = h.connected("s")
        h.subscribe(s, "#")
        var parts: [Int] = []
        var topics = Set<String>()
        while true {
            let part = h.takePublishes(s)
            parts.append(part.count)
            topics.formUnion(part.map(\.topic))
            guard !h.drainRequests.isEmpty else { break }
            #expect(h.drainRequests == [s])
            #expect(h.broker.invariantViolations().isEmpty)
            h.drainAll()
        }
        #expect(topics.count == 5000)
        #expect(parts.count == 20 && parts.dropLast().allSatisfy { (250...260).contains($0) }) // 256 KiB of about 1,020 bytes each
        let live = h.connected("live")
        h.publish(live, "r/1", "new")
        #expect(h.takePublishes(s).map(\.payload) == [Array("new".utf8)])
    }

    @Test("[v311 MQTT-4.3.2-2] a live QoS 1 message that waited behind a QoS 0 burst goes out when the burst's last part does (found by the seeded fuzzer: it waited for ever)")
    func liveAfterQoS0Burst() {
        let h = BrokerHarness()
        let p = h.connected("p")
        for i in 0..<600 { h.publish(p, "r/\(i)", String(repeating: "x", count: 1000), retain: true) }
        h.drainsAtOnce = false
        let s = h.connected("s")
        h.subscribe(s, "#", qos: .atLeastOnce)
        h.publish(p, "live", "l", qos: .atLeastOnce, id: 1)
        #expect(h.takePublishes(s).allSatisfy { $0.retain }) // the live one waits behind the burst
        h.drainAll()
        h.drainAll()
        let rest = h.takePublishes(s)
        #expect(rest.last?.topic == "live" && rest.last?.qos == .atLeastOnce)
        #expect(h.drainRequests.isEmpty && h.broker.invariantViolations().isEmpty)
    }

    @Test("[v311 MQTT-3.3.1-6] a burst is bounded by the retained store: the same SUBSCRIBE repeated 50 times by a client that acknowledges nothing holds at most 100 of 100 retained messages, the rest dropped and counted")
    func burstBounded() {
        let h = broker(retained: 100)
        let s = h.connected("s")
        for _ in 0..<50 { h.subscribe(s, "#", qos: .atLeastOnce) }
        let received = drain(h, s)
        #expect(received.count == 120) // 20 in flight at the first SUBSCRIBE, then at most 100 waiting
        #expect(h.broker.statistics.droppedMessages >= 49 * 100 - 20)
    }

    @Test("[v311 MQTT-3.1.2-6] a clean session that disconnects mid-burst drops the rest; the next subscription gets the whole set again")
    func burstEndsWithSession() {
        let h = broker(retained: 500)
        let s = h.connected("s")
        h.subscribe(s, "#", qos: .atLeastOnce)
        h.drop(s)
        #expect(h.broker.invariantViolations().isEmpty)
        let again = h.connected("s")
        h.subscribe(again, "#", qos: .atLeastOnce)
        #expect(drain(h, again).count == 500)
    }

    @Test("[v311 MQTT-3.3.1-5] [v311 MQTT-3.3.1-10] a retained message replaced or cleared while the burst waits is not sent stale: the subscriber gets the new value live, once, and nothing for the cleared topic")
    func burstSkipsReplaced() {
        let h = broker(retained: 100)
        let s = h.connected("s")
        h.subscribe(s, "#", qos: .atLeastOnce)
        var received = h.takePublishes(s) // the first 20 (the window), in the store's order
        let waiting = (0..<100).map { "r/\($0)" }.filter { topic in !received.contains { $0.topic == topic } }
        #expect(received.count == 20 && waiting.count == 80)
        let p = h.connected("p2")
        h.publish(p, waiting[30], "new", retain: true)
        h.publish(p, waiting[40], "", retain: true) // clears it [v311 MQTT-3.3.1-10]
        for publish in received { h.send(s, .puback(PubAck(packetID: publish.packetID!))) }
        received += drain(h, s)
        #expect(received.filter { $0.topic == waiting[30] }.map { [UInt8]($0.payload) } == [Array("new".utf8)])
        #expect(received.filter { $0.topic == waiting[40] }.map { [UInt8]($0.payload) } == [[]]) // the live clear only
        #expect(received.filter(\.retain).count == 98)
        #expect(h.broker.invariantViolations().isEmpty)
    }

    @Test("[v311 MQTT-3.3.1-6] new ACL rules reach a burst that waits: messages the session may no longer read are not sent")
    func burstRespectsNewACL() {
        let h = broker(retained: 100)
        let s = h.connected("s")
        h.subscribe(s, "#", qos: .atLeastOnce)
        var received = h.takePublishes(s)
        let waiting = (0..<100).map { "r/\($0)" }.filter { topic in !received.contains { $0.topic == topic } }
        #expect(received.count == 20 && waiting.count == 80)
        let acl = AccessControlList(anonymous: [.init(.read, waiting[3]), .init(.read, waiting[70])], users: [:], patterns: [])
        h.handle(.accessChanged([AccessRealm(allowAnonymous: true, checksPasswords: false, acl: acl)]))
        for publish in received { h.send(s, .puback(PubAck(packetID: publish.packetID!))) }
        received = drain(h, s)
        #expect(Set(received.map(\.topic)) == [waiting[3], waiting[70]])
        #expect(h.broker.statistics.deniedDeliveries == 78)
    }
}
