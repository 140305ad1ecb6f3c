import PerchCodec
import PerchServer
import PerchTestKit
import Testing

/// Bad input, slow readers and dead peers over loopback: one bad connection never harms
/// the others.
@Suite("End to end: bad input and back-pressure")
struct BadInputTests {
    /// A QoS 1 subscriber of `big` with a 4 KiB receive buffer that never reads, and a publisher.
    func stalledSubscriber(_ test: TestServer) throws -> (RawClient, RawClient) {
        let stalled = try RawClient(port: test.port, receiveBufferSize: 4096)
        try stalled.connect(version: .v311, clientID: "stalled")
        try stalled.subscribe("big", qos: .atLeastOnce)
        let publisher = try RawClient(port: test.port)
        try publisher.connect(version: .v311, clientID: "pub")
        return (stalled, publisher)
    }

    /// A subscriber on `topic` and a publisher, both connected with `version`.
    func pair(_ test: TestServer, _ version: ProtocolVersion, topic: String) throws -> (RawClient, RawClient) {
        let subscriber = try RawClient(port: test.port)
        try subscriber.connect(version: version, clientID: "good-sub")
        try subscriber.subscribe(topic, qos: .atLeastOnce)
        let publisher = try RawClient(port: test.port)
        try publisher.connect(version: version, clientID: "good-pub")
        return (subscriber, publisher)
    }

    /// Publishes one QoS 1 message and checks that `subscriber` gets it.
    func expectServed(_ publisher: RawClient, _ subscriber: RawClient, topic: String, id: UInt16) throws {
        try publisher.publish(topic, [UInt8(id)], qos: .atLeastOnce, packetID: id)
        _ = try publisher.receive { if case .puback = $0 { return true } else { return false } }
        let delivered = try subscriber.receivePublish()
        #expect(delivered.payload == [UInt8(id)])
        if let packetID = delivered.packetID { try subscriber.send(.puback(PubAck(packetID: packetID))) }
    }

    @Test("[v5 MQTT-3.3.1-4] PUBLISH with QoS 3 gets DISCONNECT 0x81 and a close; another client keeps being served")
    func malformedV5() throws {
        let test = try TestServer()
        defer { test.stop() }
        let (subscriber, publisher) = try pair(test, .v5, topic: "ok")
        let bad = try RawClient(port: test.port)
        try bad.connect(version: .v5, clientID: "bad")
        try bad.sendRaw([0x36, 0x03, 0x00, 0x01, 0x61])   // PUBLISH, QoS bits 11
        let packets = try #require(bad.expectClosed())
        #expect(packets == [.disconnect(Disconnect(reason: .malformedPacket))])
        try expectServed(publisher, subscriber, topic: "ok", id: 1)
    }

    @Test("[v311 MQTT-3.3.1-4] PUBLISH with QoS 3 closes the connection; another client keeps being served")
    func malformedV311() throws {
        let test = try TestServer()
        defer { test.stop() }
        let (subscriber, publisher) = try pair(test, .v311, topic: "ok")
        let bad = try RawClient(port: test.port)
        try bad.connect(version: .v311, clientID: "bad")
        try bad.sendRaw([0x36, 0x03, 0x00, 0x01, 0x61] + [UInt8](repeating: 0xFF, count: 100))
        #expect(try #require(bad.expectClosed()).isEmpty)
        try expectServed(publisher, subscriber, topic: "ok", id: 2)
    }

    @Test("[v5 interp] a packet over max_packet_size is refused from its fixed header: DISCONNECT 0x95 before the body")
    func oversizeFromHeader() throws {
        let test = try TestServer { $0.broker.maxPacketSize = 1024 }
        defer { test.stop() }
        let client = try RawClient(port: test.port)
        try client.connect(version: .v5, clientID: "big")
        // PUBLISH announcing 1 MiB; the body is never sent, so only the header can be judged.
        try client.sendRaw([0x30, 0x80, 0x80, 0x40])
        let packets = try #require(client.expectClosed())
        #expect(packets == [.disconnect(Disconnect(reason: .packetTooLarge))])
    }

    @Test("[v5 interp] a subscriber that stops reading does not stall the publisher or other subscribers; QoS 0 to it is dropped")
    func slowSubscriber() throws {
        let test = try TestServer {
            $0.outputSoftLimit = 64 * 1024
            $0.outputHardLimit = 64 << 20
        }
        defer { test.stop() }
        let stalled = try RawClient(port: test.port, receiveBufferSize: 4096)
        try stalled.connect(version: .v311, clientID: "stalled")
        try stalled.subscribe("flood", qos: .atMostOnce)
        let (subscriber, publisher) = try pair(test, .v311, topic: "flood")
        let payload = [UInt8](repeating: 0x55, count: 1024)
        // 80 rounds of 50 KiB (4 MiB in all, far beyond the stalled socket's buffers and the
        // soft limit); the healthy subscriber drains each round, so it stays under the limit.
        let rounds = 80, perRound = 50
        var received = 0
        for _ in 0..<rounds {
            for _ in 0..<perRound { try publisher.publish("flood", payload) }
            for _ in 0..<perRound {
                #expect(try subscriber.receivePublish(timeout: 10).payload.count == 1024)
                received += 1
            }
        }
        try publisher.publish("flood", [0xEE], qos: .atLeastOnce, packetID: 9)
        _ = try publisher.receive(timeout: 10) { if case .puback = $0 { return true } else { return false } }
        #expect(try subscriber.receivePublish(timeout: 10).payload == [0xEE])
        #expect(received == rounds * perRound)
        #expect(test.droppedPublishes > 0)
        stalled.close()
    }

    @Test("[v311 MQTT-3.1.2-24] [v5 MQTT-3.1.2-22] a half-open client is closed by keep-alive")
    func keepAlive() throws {
        let test = try TestServer()
        defer { test.stop() }
        for version in [ProtocolVersion.v311, .v5] {
            let client = try RawClient(port: test.port)
            try client.connect(version: version, clientID: "silent-\(version.rawValue)", keepAlive: 1)
            // Silent from here on, like a peer whose network vanished: closed after 1.5 s.
            let packets = try #require(client.expectClosed(timeout: 5))
            if version == .v5 { #expect(packets.allSatisfy { $0 == .disconnect(Disconnect(reason: .keepAliveTimeout)) }) }
        }
    }

    @Test("[v311 MQTT-3.1.4-5] bytes after a refused CONNECT are ignored; the connection closes")
    func refusedConnect() throws {
        let test = try TestServer { $0.broker.allowAnonymous = false }
        defer { test.stop() }
        let client = try RawClient(port: test.port)
        let ack = try client.connect(version: .v311, clientID: "anon")
        #expect(ack.reason.isFailure)
        try? client.publish("x", [1])
        #expect(try #require(client.expectClosed()).isEmpty)
    }
}

extension BadInputTests {
    @Test("[v5 interp] a stalled QoS 1 subscriber whose output passes the hard limit is closed; the publisher is still served")
    func hardLimitCloses() throws {
        let test = try TestServer {
            $0.outputSoftLimit = 16 * 1024
            $0.outputHardLimit = 128 * 1024
            $0.broker.maxInflightMessages = 100
        }
        defer { test.stop() }
        let (stalled, publisher) = try stalledSubscriber(test)
        let payload = [UInt8](repeating: 0xAB, count: 60 * 1024)
        // 100 QoS 1 messages of 60 KiB (encoded whole, below the streaming size) fit the
        // in-flight window, but not the socket buffers and the hard limit.
        for id in UInt16(1)...100 {
            try publisher.publish("big", payload, qos: .atLeastOnce, packetID: id)
            _ = try publisher.receive(timeout: 10) { if case .puback = $0 { return true } else { return false } }
        }
        #expect(stalled.waitForEOF(timeout: 10))
        try publisher.send(.pingreq)
        #expect(try publisher.receive() == .pingresp)
    }

    @Test("[v5 interp] a stalled QoS 1 subscriber of large messages (streamed, bounded by the in-flight window) is not closed and gets them all once it reads")
    func largeMessagesStream() throws {
        let test = try TestServer {
            $0.outputSoftLimit = 16 * 1024
            $0.outputHardLimit = 128 * 1024
        }
        defer { test.stop() }
        let (stalled, publisher) = try stalledSubscriber(test)
        let payload = [UInt8](repeating: 0xAB, count: 256 * 1024)
        for id in UInt16(1)...20 {
            try publisher.publish("big", payload, qos: .atLeastOnce, packetID: id)
            _ = try publisher.receive(timeout: 10) { if case .puback = $0 { return true } else { return false } }
        }
        try publisher.send(.pingreq)
        #expect(try publisher.receive() == .pingresp)
        for id in UInt16(1)...20 {
            let delivered = try stalled.receivePublish(timeout: 10)
            #expect(delivered.packetID?.rawValue == id && delivered.payload == payload)
            try stalled.send(.puback(PubAck(packetID: PacketID(id)!)))
        }
    }
}

extension BadInputTests {
    @Test("[v5 MQTT-3.1.4-3] a taken-over connection that does not read its last bytes is closed after the close timeout")
    func closeTimeout() throws {
        let test = try TestServer {
            $0.outputSoftLimit = 16 * 1024
            $0.outputHardLimit = 256 << 20
            $0.closeTimeout = 1
        }
        defer { test.stop() }
        let stalled = try RawClient(port: test.port, receiveBufferSize: 4096)
        try stalled.connect(version: .v5, clientID: "twin", cleanStart: false)
        try stalled.subscribe("big", qos: .atLeastOnce)
        let publisher = try RawClient(port: test.port)
        try publisher.connect(version: .v5, clientID: "pub")
        let payload = [UInt8](repeating: 0xCD, count: 1024 * 1024)
        for id in UInt16(1)...20 {
            try publisher.publish("big", payload, qos: .atLeastOnce, packetID: id)
            _ = try publisher.receive(timeout: 10) { if case .puback = $0 { return true } else { return false } }
        }
        // Takeover: the broker closes the old connection, whose output cannot drain.
        let twin = try RawClient(port: test.port)
        #expect(try twin.connect(version: .v5, clientID: "twin", cleanStart: false).reason == .success)
        // Reading 20 MiB takes far longer than the 1 ms timeout: the server must have closed
        // with most of it unsent.
        var received = 0
        #expect(stalled.waitForEOF(timeout: 10, discarded: &received))
        #expect(received < 20 * payload.count / 2)
    }
}

/// Issue 12 defect 6: Perch advertised a Receive Maximum of 65,535, which no client can
/// exceed (the 65,536th QoS 2 PUBLISH in flight must reuse a packet id, so it counts as a
/// retransmission): a client flooding QoS 2 without PUBREL never got its DISCONNECT 0x93
/// and held every id awaiting release. mosquitto advertises `max_inflight_messages` (20).
@Suite("End to end: inbound flow control")
struct InboundFlowControlTests {
    @Test("[v5 interp] §3.3.4 (client duty MQTT-3.3.4-7): CONNACK advertises Receive Maximum 20; a QoS 2 PUBLISH past it, sent without reading, gets DISCONNECT 0x93")
    func receiveMaximumEnforced() throws {
        let test = try TestServer()
        defer { test.stop() }
        let flooder = try RawClient(port: test.port)
        let connack = try flooder.connect(version: .v5, clientID: "qos2-flood")
        #expect(connack.properties.receiveMaximum == 20)
        for id in UInt16(1)...21 {
            try flooder.publish("flood", [UInt8(id)], qos: .exactlyOnce, packetID: id)
        }
        let packets = try #require(flooder.expectClosed())
        let pubrecs = packets.filter { if case .pubrec = $0 { true } else { false } }
        #expect(pubrecs.count == 20)
        guard case .disconnect(let disconnect) = packets.last else {
            Issue.record("no DISCONNECT: \(packets.suffix(3))")
            return
        }
        #expect(disconnect.reason == .receiveMaximumExceeded)
        // Another client keeps being served.
        let other = try RawClient(port: test.port)
        try other.connect(version: .v5, clientID: "other")
        try other.publish("ok", [1], qos: .exactlyOnce, packetID: 1)
        _ = try other.receive { if case .pubrec = $0 { true } else { false } }
    }

    @Test("[v5 interp] §4.9 a client that releases what it sent may keep any number of QoS 2 PUBLISH coming, 20 at a time")
    func releasedIDsFreeTheWindow() throws {
        let test = try TestServer()
        defer { test.stop() }
        let client = try RawClient(port: test.port)
        try client.connect(version: .v5, clientID: "qos2-paced")
        for round in 0..<5 {
            for id in UInt16(1)...20 { try client.publish("paced", [UInt8(round)], qos: .exactlyOnce, packetID: id) }
            for id in UInt16(1)...20 {
                _ = try client.receive { if case .pubrec(let ack) = $0 { ack.packetID.rawValue == id } else { false } }
                try client.send(.pubrel(PubAck(packetID: PacketID(id)!)))
            }
            for _ in 1...20 { _ = try client.receive { if case .pubcomp = $0 { true } else { false } } }
        }
        try client.send(.pingreq)
        _ = try client.receive { $0 == .pingresp }
    }
}
