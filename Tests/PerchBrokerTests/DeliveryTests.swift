import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Outbound delivery: windows, queues, redelivery")
struct DeliveryTests {
    @Test("[v311 MQTT-4.3.2-1] [v311 MQTT-2.3.1-4] QoS 1 outbound: fresh id until PUBACK, then reused")
    func qos1Outbound() {
        var config = BrokerConfiguration()
        config.maxInflightMessages = 1
        let h = BrokerHarness(configuration: config)
        let s = h.connected("s")
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        h.publish(p, "t", "1", qos: .atLeastOnce, id: 1)
        h.publish(p, "t", "2", qos: .atLeastOnce, id: 2)
        let first = publishes(h.take(s))
        #expect(first.map(\.payload) == [bytes("1")])
        #expect(first[0].dup == false)
        h.send(s, .puback(PubAck(packetID: first[0].packetID!)))
        let second = publishes(h.take(s))
        #expect(second.map(\.payload) == [bytes("2")])
        #expect(second[0].packetID != nil)
    }

    @Test("[v311 MQTT-4.3.3-1] [v5 MQTT-4.3.3-4] [v5 MQTT-4.3.3-6] QoS 2 outbound: PUBREC answered with PUBREL, PUBLISH never resent after it")
    func qos2Outbound() {
        let h = BrokerHarness()
        let s = h.connected("s", cleanStart: false)
        h.subscribe(s, "t", qos: .exactlyOnce)
        let p = h.connected("p")
        h.publish(p, "t", qos: .exactlyOnce, id: 1)
        let id = publishes(h.take(s))[0].packetID!
        h.send(s, .pubrec(PubAck(packetID: id)))
        #expect(h.take(s) == [.pubrel(PubAck(packetID: id))])
        h.drop(s)
        let again = h.connect("s", cleanStart: false)
        #expect(h.take(again) == [accepted(true), .pubrel(PubAck(packetID: id))]) // [v311 MQTT-4.4.0-1]
        h.send(again, .pubcomp(PubAck(packetID: id)))
        #expect(h.take(again).isEmpty)
    }

    @Test("[v5 MQTT-4.4.0-2] PUBREC with a failure code ends the flow; no PUBREL")
    func pubrecFailure() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.subscribe(s, "t", qos: .exactlyOnce)
        let p = h.connected("p")
        h.publish(p, "t", qos: .exactlyOnce, id: 1)
        let id = publishes(h.take(s))[0].packetID!
        h.send(s, .pubrec(PubAck(packetID: id, reason: .unspecifiedError)))
        #expect(h.take(s).isEmpty)
        h.send(s, .pubcomp(PubAck(packetID: id)))
        #expect(h.take(s).isEmpty)
    }

    @Test("[v5 interp] PUBREC for an unknown id gets PUBREL 0x92")
    func unknownPubRec() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5)
        h.send(s, .pubrec(PubAck(packetID: pid(9))))
        #expect(plain(h.take(s)) == [.pubrel(PubAck(packetID: pid(9), reason: .packetIdentifierNotFound))])
    }

    @Test("[v5 MQTT-3.3.4-9] [v5 MQTT-3.3.4-10] in-flight never exceeds the client's Receive Maximum; the rest queue in order")
    func receiveMaximumWindow() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5, properties: v5 { $0.receiveMaximum = 2 })
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        for i in 1...5 { h.publish(p, "t", "\(i)", qos: .atLeastOnce, id: UInt16(i)) }
        var got = publishes(h.take(s))
        #expect(got.map(\.payload) == [bytes("1"), bytes("2")])
        h.send(s, .pingreq)
        #expect(h.take(s) == [.pingresp]) // other packets still flow
        var order: [[UInt8]] = got.map(\.payload)
        while !got.isEmpty {
            h.send(s, .puback(PubAck(packetID: got[0].packetID!)))
            got.removeFirst()
            let more = publishes(h.take(s))
            #expect(got.count + more.count <= 2)
            order += more.map(\.payload)
            got += more
        }
        #expect(order == (1...5).map { bytes("\($0)") }) // [v311 MQTT-4.6.0-5]
    }

    @Test("[v311 interp] queue bounded by max_queued_messages: the excess is dropped and counted")
    func queueBound() {
        var config = BrokerConfiguration()
        config.maxInflightMessages = 1
        config.maxQueuedMessages = 2
        let h = BrokerHarness(configuration: config)
        let s = h.connected("s")
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        for i in 1...5 { h.publish(p, "t", "\(i)", qos: .atLeastOnce, id: UInt16(i)) }
        #expect(h.broker.statistics.droppedMessages == 2)
        var delivered: [[UInt8]] = []
        var pending = publishes(h.take(s))
        while let next = pending.first {
            delivered.append(next.payload)
            h.send(s, .puback(PubAck(packetID: next.packetID!)))
            pending = publishes(h.take(s))
        }
        #expect(delivered == [bytes("1"), bytes("2"), bytes("3")])
    }

    @Test("[v311 interp] a message dropped at a full queue changes nothing durable: no new session image")
    func droppedChangesNothingDurable() {
        var config = BrokerConfiguration()
        config.maxQueuedMessages = 2
        let h = BrokerHarness(configuration: config)
        let s = h.connected("s", cleanStart: false)
        h.subscribe(s, "t", qos: .atLeastOnce)
        h.drop(s)
        let p = h.connected("p")
        var images: [BrokerAction] = []
        h.broker.takeDurableChanges(into: &images)
        for i in 1...2 { h.publish(p, "t", "\(i)", qos: .atLeastOnce, id: UInt16(i)) }
        images.removeAll()
        h.broker.takeDurableChanges(into: &images)
        #expect(images.count == 1, "the queued messages change the offline session")
        h.publish(p, "t", "3", qos: .atLeastOnce, id: 3)
        images.removeAll()
        h.broker.takeDurableChanges(into: &images)
        #expect(images.isEmpty, "the dropped one does not")
        #expect(h.broker.statistics.droppedMessages == 1)
    }

    @Test("[v311 interp] queue bounded by max_queued_bytes")
    func queueBytesBound() {
        var config = BrokerConfiguration()
        config.maxQueuedBytes = 10
        let h = BrokerHarness(configuration: config)
        let s = h.connected("s", cleanStart: false)
        h.subscribe(s, "t", qos: .atLeastOnce)
        h.drop(s)
        let p = h.connected("p")
        for _ in 1...3 { h.publish(p, "t", "12345", qos: .atLeastOnce, id: 1) }
        #expect(h.broker.statistics.droppedMessages == 1)
        let again = h.connect("s", cleanStart: false)
        #expect(publishes(h.take(again)).count == 2)
    }

    @Test("[v311 MQTT-3.1.2-5] [v311 MQTT-4.4.0-1] offline QoS 1/2 queued, QoS 0 not; unacked resent with DUP first")
    func offlineAndRedelivery() {
        let h = BrokerHarness()
        let s = h.connected("s", cleanStart: false)
        h.subscribe(s, "t", qos: .exactlyOnce)
        let p = h.connected("p")
        h.publish(p, "t", "inflight", qos: .atLeastOnce, id: 1)
        let first = publishes(h.take(s))[0]
        h.drop(s)
        h.publish(p, "t", "q0")
        h.publish(p, "t", "q1", qos: .atLeastOnce, id: 2)
        h.publish(p, "t", "q2", qos: .exactlyOnce, id: 3)
        let again = h.connect("s", cleanStart: false)
        let got = h.take(again)
        #expect(got.first == accepted(true))
        let sent = publishes(got)
        #expect(sent.map(\.payload) == [bytes("inflight"), bytes("q1"), bytes("q2")])
        #expect(sent[0].dup && sent[0].packetID == first.packetID)
        #expect(!sent[1].dup && !sent[2].dup)
        #expect(sent[2].qos == .exactlyOnce)
    }

    @Test("[v5 MQTT-4.4.0-1] v5 redelivery with DUP on reconnect with a session")
    func redeliveryV5() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 60 }
        let s = h.connected("s", version: .v5, cleanStart: false, properties: props)
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        h.publish(p, "t", qos: .atLeastOnce, id: 1)
        let id = publishes(h.take(s))[0].packetID
        h.drop(s)
        let again = h.connect("s", version: .v5, cleanStart: false, properties: props)
        let sent = publishes(h.take(again))
        #expect(sent.count == 1 && sent[0].dup && sent[0].packetID == id)
    }

    @Test("[v5 MQTT-4.4.0-1] no redelivery when reconnecting with Clean Start 1")
    func noRedeliveryOnCleanStart() {
        let h = BrokerHarness()
        let s = h.connected("s", cleanStart: false)
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        h.publish(p, "t", qos: .atLeastOnce, id: 1)
        h.drop(s)
        let again = h.connect("s", cleanStart: true)
        #expect(h.take(again) == [accepted(false)])
    }

    @Test("[v311 MQTT-2.3.1-4] [v5 MQTT-4.3.3-1] outbound packet ids are unique among in-flight messages")
    func uniqueIDs() {
        let h = BrokerHarness()
        let s = h.connected("s")
        h.subscribe(s, "t", qos: .exactlyOnce)
        let p = h.connected("p")
        for i in 1...20 { h.publish(p, "t", qos: .exactlyOnce, id: UInt16(i)) }
        let ids = publishes(h.take(s)).compactMap(\.packetID)
        #expect(ids.count == 20 && Set(ids).count == 20)
    }

    @Test("[v5 MQTT-3.1.2-24] [v5 MQTT-3.1.2-25] a message larger than the client's Maximum Packet Size is dropped")
    func maximumPacketSize() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5, properties: v5 { $0.maximumPacketSize = 20 })
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        h.publish(p, "t", String(repeating: "x", count: 30), qos: .atLeastOnce, id: 1)
        h.publish(p, "t", String(repeating: "x", count: 30))
        #expect(h.take(s).isEmpty)
        h.publish(p, "t", "small", qos: .atLeastOnce, id: 2)
        #expect(publishes(h.take(s)).map(\.payload) == [bytes("small")])
        #expect(h.broker.statistics.droppedMessages == 2)
    }

    @Test("[v5 MQTT-3.1.2-24] a PUBLISH of exactly the client's Maximum Packet Size is sent, one byte more is not")
    func maximumPacketSizeBoundary() {
        let h = BrokerHarness()
        let s = h.connected("s", version: .v5, properties: v5 { $0.maximumPacketSize = 20 })
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        // 1 (header) + 1 (length) + 3 (topic) + 2 (id) + 1 (property length) + payload
        h.publish(p, "t", String(repeating: "a", count: 12), qos: .atLeastOnce, id: 1)
        h.publish(p, "t", String(repeating: "b", count: 13), qos: .atLeastOnce, id: 2)
        let sent = publishes(h.take(s))
        #expect(sent.map(\.payload.count) == [12])
        #expect(sent.allSatisfy { Packet.publish($0).encodedSize(version: .v5) <= 20 })
    }

    @Test("[v5 MQTT-3.3.2-5] [v5 MQTT-3.3.2-6] expired queued messages are not delivered; others carry the remaining interval")
    func messageExpiry() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 1000 }
        let s = h.connected("s", version: .v5, cleanStart: false, properties: props)
        h.subscribe(s, "t", qos: .atLeastOnce)
        h.drop(s)
        let p = h.connected("p", version: .v5)
        h.publish(p, "t", "short", qos: .atLeastOnce, id: 1, properties: v5 { $0.messageExpiryInterval = 5 })
        h.publish(p, "t", "long", qos: .atLeastOnce, id: 2, properties: v5 { $0.messageExpiryInterval = 100 })
        h.advance(milliseconds: 10_500)
        let again = h.connect("s", version: .v5, cleanStart: false, properties: props)
        let sent = publishes(h.take(again))
        #expect(sent.map(\.payload) == [bytes("long")])
        #expect(sent.first?.properties.messageExpiryInterval == 89)
    }

    @Test("[v311 interp] 3.1.1 subscribers receive no v5 properties")
    func noPropertiesForV311() {
        let h = BrokerHarness()
        let s = h.connected("s")
        h.subscribe(s, "t")
        let p = h.connected("p", version: .v5)
        h.publish(p, "t", properties: v5 { $0.contentType = "text/plain" })
        #expect(publishes(h.take(s)).first?.properties == Properties())
    }
}

@Suite("Redelivery edge cases")
struct RedeliveryEdgeTests {
    @Test("[v5 MQTT-4.3.3-7] an in-flight QoS 2 message that expired is still redelivered and completes")
    func expiredInflightRedelivered() {
        let h = BrokerHarness()
        let props = v5 { $0.sessionExpiryInterval = 1000 }
        let s = h.connected("s", version: .v5, cleanStart: false, properties: props)
        h.subscribe(s, "t", qos: .exactlyOnce)
        let p = h.connected("p", version: .v5)
        h.publish(p, "t", qos: .exactlyOnce, id: 1, properties: v5 { $0.messageExpiryInterval = 2 })
        let id = publishes(h.take(s))[0].packetID!
        h.drop(s)
        h.advance(seconds: 10)
        let again = h.connect("s", version: .v5, cleanStart: false, properties: props)
        let sent = publishes(h.take(again))
        #expect(sent.count == 1 && sent[0].dup && sent[0].packetID == id)
        h.send(again, .pubrec(PubAck(packetID: id)))
        #expect(h.take(again) == [.pubrel(PubAck(packetID: id))])
    }

    @Test("[v5 MQTT-3.1.2-25] an in-flight message too large for the new connection is dropped and frees the window")
    func oversizedRedeliveryFreesWindow() {
        let h = BrokerHarness()
        let big = v5 {
            $0.sessionExpiryInterval = 1000
            $0.receiveMaximum = 1
        }
        let s = h.connected("s", version: .v5, cleanStart: false, properties: big)
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        h.publish(p, "t", String(repeating: "x", count: 100), qos: .atLeastOnce, id: 1)
        h.publish(p, "t", "small", qos: .atLeastOnce, id: 2)
        #expect(publishes(h.take(s)).count == 1)
        h.drop(s)
        var small = big
        small.maximumPacketSize = 50
        let again = h.connect("s", version: .v5, cleanStart: false, properties: small)
        #expect(publishes(h.take(again)).map(\.payload) == [bytes("small")])
    }

    @Test("[v5 MQTT-3.3.4-9] reconnecting with a smaller Receive Maximum resends only what fits, the rest as acks free room")
    func smallerWindowOnReconnect() {
        let h = BrokerHarness()
        let wide = v5 {
            $0.sessionExpiryInterval = 1000
            $0.receiveMaximum = 3
        }
        let s = h.connected("s", version: .v5, cleanStart: false, properties: wide)
        h.subscribe(s, "t", qos: .atLeastOnce)
        let p = h.connected("p")
        for i in 1...3 { h.publish(p, "t", "\(i)", qos: .atLeastOnce, id: UInt16(i)) }
        let first = publishes(h.take(s))
        #expect(first.count == 3)
        h.drop(s)
        var narrow = wide
        narrow.receiveMaximum = 1
        let again = h.connect("s", version: .v5, cleanStart: false, properties: narrow)
        var got = publishes(h.take(again))
        var order = got.map(\.payload)
        #expect(got.count == 1 && got[0].dup)
        while let next = got.first {
            h.send(again, .puback(PubAck(packetID: next.packetID!)))
            got = publishes(h.take(again))
            #expect(got.count <= 1)
            order += got.map(\.payload)
        }
        #expect(order == first.map(\.payload))
    }
}
