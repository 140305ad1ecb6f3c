import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

/// Packet identifiers the broker echoes or allocates, and the sender/receiver QoS rules.
@Suite("Packet identifiers and QoS flows")
struct PacketIdentifierTests {
    @Test("[v311 MQTT-2.3.1-6] [v5 MQTT-2.2.1-5] [v5 MQTT-3.3.4-1] PUBACK, PUBREC, PUBREL and PUBCOMP echo the PUBLISH's id")
    func acksEchoIDs() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let p = h.connected("p", version: version)
            h.publish(p, "t", qos: .atMostOnce)
            #expect(h.take(p).isEmpty) // QoS 0: no acknowledgement
            h.publish(p, "t", qos: .atLeastOnce, id: 300)
            #expect(h.take(p) == [.puback(PubAck(packetID: pid(300)))])
            h.publish(p, "t", qos: .exactlyOnce, id: 301)
            #expect(h.take(p) == [.pubrec(PubAck(packetID: pid(301)))])
            h.send(p, .pubrel(PubAck(packetID: pid(301))))
            #expect(h.take(p) == [.pubcomp(PubAck(packetID: pid(301)))])
            let s = h.connected("s", version: version)
            h.subscribe(s, "u", qos: .exactlyOnce)
            h.publish(p, "u", qos: .exactlyOnce, id: 302)
            let id = h.takePublishes(s)[0].packetID!
            h.send(s, .pubrec(PubAck(packetID: id)))
            #expect(h.take(s) == [.pubrel(PubAck(packetID: id))])
        }
    }

    @Test("[v311 MQTT-2.3.1-7] [v311 MQTT-3.8.4-2] [v5 MQTT-2.2.1-6] [v5 MQTT-3.8.4-2] [v5 MQTT-3.8.4-1] [v5 MQTT-3.10.4-4] SUBACK / UNSUBACK echo the request's id, always answered")
    func subackEchoesID() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let c = h.connected("c", version: version)
            h.send(c, subscribePacket(["a"], id: 777))
            #expect(suback(h.take(c))?.packetID == pid(777))
            h.send(c, .unsubscribe(Unsubscribe(packetID: pid(778), filters: ["never/subscribed"])))
            guard case .unsuback(let ack)? = h.take(c).first else {
                Issue.record("no UNSUBACK")
                continue
            }
            #expect(ack.packetID == pid(778))
        }
    }

    @Test("[v5 MQTT-2.2.1-2] [v5 MQTT-4.3.1-1] a QoS 0 PUBLISH the broker sends has no packet id and DUP 0")
    func qos0Outbound() throws {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "t", qos: .exactlyOnce)
        h.publish(h.connected("p"), "t", qos: .atMostOnce)
        let sent = try #require(h.takePublishes(s).first)
        #expect(sent.packetID == nil && sent.qos == .atMostOnce && !sent.dup)
    }

    @Test("[v5 MQTT-2.2.1-4] [v5 MQTT-4.3.2-1] [v5 MQTT-4.3.2-2] [v5 MQTT-4.3.3-2] each new QoS 1/2 PUBLISH gets a fresh non-zero id, its QoS, DUP 0")
    func freshIDs() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "t", qos: .exactlyOnce)
        let p = h.connected("p")
        for n in 1...6 { h.publish(p, "t", qos: n % 2 == 0 ? .exactlyOnce : .atLeastOnce, id: UInt16(n)) }
        let sent = h.takePublishes(s)
        #expect(sent.count == 6)
        let ids = sent.compactMap(\.packetID)
        #expect(Set(ids).count == 6 && ids.allSatisfy { $0.rawValue != 0 })
        #expect(sent.allSatisfy { !$0.dup })
        #expect(sent.map(\.qos) == [.atLeastOnce, .exactlyOnce, .atLeastOnce, .exactlyOnce, .atLeastOnce, .exactlyOnce])
    }

    @Test("[v311 MQTT-3.3.1-1] [v5 MQTT-3.3.1-1] [v5 MQTT-4.3.2-3] [v5 MQTT-4.3.3-3] unacknowledged PUBLISH is kept and resent with DUP 1 on reconnect")
    func dupOnRedelivery() throws {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let props = version == .v5 ? v5 { $0.sessionExpiryInterval = 60 } : Properties()
            let s = h.connected("s", version: version, cleanStart: false, properties: props)
            h.subscribe(s, "t", qos: .exactlyOnce)
            let p = h.connected("p")
            h.publish(p, "a", qos: .atLeastOnce)
            h.publish(p, "t", qos: .atLeastOnce, id: 1)
            h.publish(p, "t", qos: .exactlyOnce, id: 2)
            let first = h.takePublishes(s)
            #expect(first.allSatisfy { !$0.dup })
            h.drop(s)
            let again = h.connect("s", version: version, cleanStart: false, properties: props)
            let resent = h.takePublishes(again)
            #expect(resent.map(\.packetID) == first.map(\.packetID))
            #expect(resent.allSatisfy { $0.dup })
        }
    }

    @Test("[v5 MQTT-4.3.3-5] a PUBREL stays unacknowledged until PUBCOMP: resent after reconnect, not after PUBCOMP")
    func pubrelUntilPubcomp() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 60 }
        let s = h.connected("s", version: .v5, cleanStart: false, properties: props)
        h.subscribe(s, "t", qos: .exactlyOnce)
        h.publish(h.connected("p"), "t", qos: .exactlyOnce, id: 1)
        let id = h.takePublishes(s)[0].packetID!
        h.send(s, .pubrec(PubAck(packetID: id)))
        _ = h.take(s)
        h.drop(s)
        let again = h.connect("s", version: .v5, cleanStart: false, properties: props)
        #expect(h.take(again).last == .pubrel(PubAck(packetID: id)))
        h.send(again, .pubcomp(PubAck(packetID: id)))
        h.drop(again)
        let third = h.connect("s", version: .v5, cleanStart: false, properties: props)
        #expect(h.take(third).count == 1) // CONNACK only
    }

    @Test("[v5 MQTT-4.3.2-5] after PUBACK, a PUBLISH reusing the id is a new message even with DUP 1")
    func qos1IDReuse() {
        let h = BrokerHarness()
        let s = h.connected("s")
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p", version: .v5)
        h.publish(p, "t", "one", qos: .atLeastOnce, id: 9)
        h.publish(p, "t", "two", qos: .atLeastOnce, id: 9, dup: true)
        #expect(h.take(p) == [.puback(PubAck(packetID: pid(9))), .puback(PubAck(packetID: pid(9)))])
        #expect(h.takePublishes(s).map(\.payload) == [bytes("one"), bytes("two")])
    }

    @Test("[v5 MQTT-4.3.3-9] after a PUBREC with a failure code, a PUBLISH with that id is a new message")
    func qos2AfterFailedPubrec() {
        var config = BrokerConfiguration()
        config.messageSizeLimit = 3
        let h = BrokerHarness(configuration: config)
        let s = h.connected("s")
        h.subscribe(s, "t", qos: .exactlyOnce)
        let p = h.connected("p", version: .v5)
        h.publish(p, "t", "too long", qos: .exactlyOnce, id: 4)
        #expect(plain(h.take(p)) == [.pubrec(PubAck(packetID: pid(4), reason: .quotaExceeded))])
        h.publish(p, "t", "ok", qos: .exactlyOnce, id: 4)
        #expect(h.take(p) == [.pubrec(PubAck(packetID: pid(4)))])
        #expect(h.takePublishes(s).map(\.payload) == [bytes("ok")])
    }

    @Test("[v5 MQTT-4.3.3-13] the QoS 2 exchange completes even when the message expired meanwhile")
    func qos2ExpiredStillCompletes() {
        let h = BrokerHarness()
        let p = h.connected("p", version: .v5)
        h.publish(p, "t", qos: .exactlyOnce, id: 6, properties: v5 { $0.messageExpiryInterval = 1 })
        #expect(h.take(p) == [.pubrec(PubAck(packetID: pid(6)))])
        h.advance(seconds: 5)
        h.send(p, .pubrel(PubAck(packetID: pid(6))))
        #expect(h.take(p) == [.pubcomp(PubAck(packetID: pid(6)))])
    }

    @Test("[v5 MQTT-3.4.2-1] [v5 MQTT-3.5.2-1] [v5 MQTT-3.6.2-1] [v5 MQTT-3.7.2-1] [v5 MQTT-3.11.3-2] [v5 MQTT-3.8.4-7] ack reason codes come from their tables")
    func ackCodesFromTables() {
        var config = BrokerConfiguration()
        config.messageSizeLimit = 3
        config.maximumQoS = .atLeastOnce
        let h = BrokerHarness(configuration: config)
        let c = h.connected("c", version: .v5)
        h.publish(c, "t", "ok", qos: .atLeastOnce, id: 1)
        h.publish(c, "t", "too long", qos: .atLeastOnce, id: 2)
        h.send(c, .pubrel(PubAck(packetID: pid(3))))
        h.send(c, .pubrec(PubAck(packetID: pid(4))))
        h.send(c, .subscribe(Subscribe(packetID: pid(5), entries: [
            .valid(Subscription(filter: filter("t"), qos: .exactlyOnce)), .invalidFilter("a/#/b")])))
        h.send(c, .unsubscribe(Unsubscribe(packetID: pid(6), filters: ["t", "nothing"])))
        let pubackCodes: Set<ReasonCode> = [.success, .noMatchingSubscribers, .unspecifiedError, .implementationSpecificError,
                                            .notAuthorized, .topicNameInvalid, .packetIdentifierInUse, .quotaExceeded,
                                            .payloadFormatInvalid]
        for packet in h.take(c) {
            switch packet {
            case .puback(let a), .pubrec(let a): #expect(pubackCodes.contains(a.reason))
            case .pubrel(let a), .pubcomp(let a): #expect([.success, .packetIdentifierNotFound].contains(a.reason))
            case .suback(let a): #expect(a.reasons == [.grantedQoS1, .topicFilterInvalid])
            case .unsuback(let a): #expect(a.reasons == [.success, .noSubscriptionExisted])
            default: Issue.record("unexpected \(packet)")
            }
        }
    }
}
