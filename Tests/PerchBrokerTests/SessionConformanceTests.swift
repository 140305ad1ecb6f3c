import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

/// Connection acceptance and session identity.
@Suite("Sessions and CONNECT conformance")
struct SessionConformanceTests {
    @Test("[v311 MQTT-3.1.3-2] [v5 MQTT-3.1.3-2] [v311 MQTT-4.1.0-1] [v311 MQTT-4.1.0-2] [v5 MQTT-4.1.0-1] [v311 MQTT-4.5.0-1] [v5 MQTT-4.5.0-1] session state belongs to the client id and outlives the connection")
    func stateByClientID() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let props = version == .v5 ? v5 { $0.sessionExpiryInterval = 600 } : Properties()
            let s = h.connected("owner", version: version, cleanStart: false, properties: props)
            h.subscribe(s, "t", qos: .atLeastOnce)
            let p = h.connected("p")
            h.publish(p, "t", "live", qos: .atLeastOnce)
            #expect(h.takePublishes(s).map(\.payload) == [bytes("live")]) // state held while connected
            h.drop(s)
            h.publish(p, "t", "queued", qos: .atLeastOnce)
            let stranger = h.connect("other", version: version, cleanStart: false, properties: props)
            let strangerAck = connack(h.take(stranger))
            #expect(strangerAck?.reason == .success && strangerAck?.sessionPresent == false)
            let again = h.connect("owner", version: version, cleanStart: false, properties: props)
            let packets = h.take(again)
            #expect(connack(packets)?.sessionPresent == true)
            #expect(publishes(packets).map(\.payload) == [bytes("live"), bytes("queued")]) // unacked one resent, queued one after
        }
    }

    @Test("[v311 MQTT-3.2.0-1] [v5 MQTT-3.2.0-1] [v311 MQTT-3.1.4-4] CONNACK 0x00 is the first packet, even with messages waiting")
    func connackFirst() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let props = version == .v5 ? v5 { $0.sessionExpiryInterval = 600 } : Properties()
            let s = h.connected("s", version: version, cleanStart: false, properties: props)
            h.subscribe(s, "t", qos: .atLeastOnce)
            h.drop(s)
            h.publish(h.connected("p"), "t", qos: .atLeastOnce)
            let again = h.connect("s", version: version, cleanStart: false, properties: props)
            let packets = h.take(again)
            guard case .connack(let ack)? = packets.first else {
                Issue.record("first packet \(String(describing: packets.first))")
                continue
            }
            #expect(ack.reason == .success && ack.sessionPresent)
            #expect(packets.count == 2)
        }
    }

    @Test("[v311 MQTT-3.1.4-3] [v5 MQTT-3.1.4-4] [v311 MQTT-3.2.2-4] [v311 MQTT-3.2.2-5] a refused CONNECT leaves the stored session alone; its CONNACK has Session Present 0 and the connection closes")
    func refusedConnectKeepsSession() {
        var config = BrokerConfiguration()
        config.maxKeepalive = 60
        let h = BrokerHarness(configuration: config)
        for version in [ProtocolVersion.v311, .v5] {
            let id = "keeper-\(version)"
            let props = version == .v5 ? v5 { $0.sessionExpiryInterval = 600 } : Properties()
            let first = h.connected(id, version: version, cleanStart: false, properties: props)
            h.subscribe(first, "t", qos: .atLeastOnce)
            h.drop(first)
            // Refused before Clean Start processing: 3.1.1 keep alive above max_keepalive,
            // v5 an Authentication Method nobody supports.
            let refused: ConnectionID
            if version == .v5 {
                refused = h.connect(id, version: .v5, cleanStart: true, properties: v5 { $0.authenticationMethod = "X" })
            } else {
                refused = h.connect(id, version: .v311, cleanStart: true, keepAlive: 120)
            }
            let ack = connack(h.take(refused))
            #expect(ack?.reason.isFailure == true)
            #expect(ack?.sessionPresent == false)
            #expect(h.closed(refused))
            let again = h.connect(id, version: version, cleanStart: false, properties: props)
            #expect(connack(h.take(again))?.sessionPresent == true)
        }
    }

    @Test("[v5 MQTT-3.1.4-6] after a refused CONNECT nothing more from the connection is processed")
    func nothingAfterRefusal() {
        var config = BrokerConfiguration()
        config.allowAnonymous = false
        let h = BrokerHarness(configuration: config)
        let s = h.connected("s")
        let c = h.connect("c", version: .v5)
        _ = h.take(c)
        h.publish(c, "t")
        h.send(c, subscribePacket(["#"]))
        h.send(c, .pingreq)
        #expect(h.take(c).isEmpty)
        #expect(h.takePublishes(s).isEmpty)
    }

    @Test("[v5 MQTT-3.1.3-5] client ids of 1 to 23 characters [0-9a-zA-Z] are accepted")
    func plainClientIDs() {
        let h = BrokerHarness()
        for id in ["a", "Z9", "abcdefghijklmnopqrstuvw", "0123456789ABCDEFGHIJKLM"] {
            #expect(connack(h.take(h.connect(id, version: .v5)))?.reason == .success)
        }
    }

    @Test("[v5 MQTT-3.1.3-8] [v5 MQTT-4.13.2-1] a rejected client id gets CONNACK 0x85 and close")
    func rejectedClientID() {
        var config = BrokerConfiguration()
        config.allowZeroLengthClientID = false
        let h = BrokerHarness(configuration: config)
        let c = h.connect("", version: .v5)
        #expect(plain(h.take(c)) == [.connack(ConnAck(sessionPresent: false, reason: .clientIdentifierNotValid))])
        #expect(h.closed(c))
    }

    @Test("[v311 interp] MQTT 3.1 (MQIsdp): a 23-character client id is accepted and works like 3.1.1")
    func mqtt31Accepted() {
        let h = BrokerHarness()
        let c = h.connect(String(repeating: "q", count: 23), version: .v31)
        #expect(h.take(c) == [accepted()])
        h.subscribe(c, "t")
        h.publish(h.connected("p"), "t", "hi")
        #expect(h.takePublishes(c).map(\.payload) == [bytes("hi")])
    }

    @Test("[v5 MQTT-3.2.2-8] every CONNACK code the broker sends is in Table 3-1")
    func connackCodesFromTable() {
        let table: Set<ReasonCode> = [.success, .unspecifiedError, .malformedPacket, .protocolError,
                                      .implementationSpecificError, .unsupportedProtocolVersion, .clientIdentifierNotValid,
                                      .badUserNameOrPassword, .notAuthorized, .serverUnavailable, .serverBusy, .banned,
                                      .badAuthenticationMethod, .topicNameInvalid, .packetTooLarge, .quotaExceeded,
                                      .payloadFormatInvalid, .retainNotSupported, .qosNotSupported, .useAnotherServer,
                                      .serverMoved, .connectionRateExceeded]
        var config = BrokerConfiguration()
        config.allowZeroLengthClientID = false
        config.maximumQoS = .atLeastOnce
        config.retainAvailable = false
        let h = BrokerHarness(configuration: config, authenticator: TestAuthenticator())
        let connects = [h.connect("ok", version: .v5), h.connect("", version: .v5),
                        h.connect("w", version: .v5, will: will("w", qos: .exactlyOnce)),
                        h.connect("r", version: .v5, will: will("w", retain: true)),
                        h.connect("m", version: .v5, properties: v5 { $0.authenticationMethod = "NOPE" }),
                        h.connect("t", version: .v5, properties: v5 { $0.authenticationMethod = "TOKEN" })]
        h.malformed(h.open(), DecodeError(.malformedPacket, "test", connectVersion: .v5))
        for c in connects {
            for case .connack(let ack) in h.take(c) { #expect(table.contains(ack.reason)) }
        }
    }

    @Test("[v311 MQTT-3.1.2-12] [v5 MQTT-3.1.2-7] [v5 MQTT-3.1.2-10] a Will is stored with the connection, published once, and only if one was given")
    func willStoredOnce() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness()
            let watcher = h.connected("watcher")
            h.subscribe(watcher, "#")
            let props = version == .v5 ? v5 { $0.sessionExpiryInterval = 600 } : Properties()
            h.drop(h.connected("nowill", version: version))
            #expect(h.takePublishes(watcher).isEmpty)
            h.drop(h.connected("c", version: version, cleanStart: false, will: will("w"), properties: props))
            #expect(h.takePublishes(watcher).map(\.topic) == ["w"])
            h.drop(h.connected("c", version: version, cleanStart: false, properties: props))
            h.advance(seconds: 700)
            #expect(h.takePublishes(watcher).isEmpty) // published once, then dropped from the session
        }
    }
}
