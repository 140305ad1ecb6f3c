import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

/// Clients may publish and subscribe only under `{clientID}/`; "admin" may do anything.
struct PrefixAuthorizer: Authorizer {
    func mayPublish(clientID: String, username: String?, topic: String) -> Bool {
        username == "admin" || topic.hasPrefix(clientID + "/")
    }
    func maySubscribe(clientID: String, username: String?, filter: String) -> Bool {
        username == "admin" || filter.hasPrefix(clientID + "/")
    }
}

@Suite("Authorisation")
struct AuthorizationTests {
    let h = BrokerHarness(authorizer: PrefixAuthorizer())

    /// A subscriber allowed to see everything.
    func admin() -> ConnectionID {
        let a = h.connect("admin", username: "admin")
        _ = h.take(a)
        h.subscribe(a, "#", qos: .atLeastOnce)
        return a
    }

    @Test("[v311 MQTT-3.3.5-2] an unauthorised 3.1.1 PUBLISH is acknowledged as usual and not delivered")
    func refused311() {
        let a = admin()
        let c = h.connected("dev")
        h.publish(c, "other/t", qos: .atLeastOnce, id: 3)
        h.publish(c, "other/t", qos: .exactlyOnce, id: 4)
        var wire: [UInt8] = []
        for packet in h.take(c) { packet.encode(version: .v311, into: &wire) }
        #expect(wire == [0x40, 2, 0, 3, 0x50, 2, 0, 4]) // plain PUBACK and PUBREC
        #expect(!h.closed(c))
        h.publish(c, "dev/t", qos: .atLeastOnce, id: 5)
        #expect(h.takePublishes(a).map(\.topic) == ["dev/t"])
    }

    @Test("[v5 interp] an unauthorised v5 PUBLISH gets PUBACK / PUBREC 0x87 and is not delivered")
    func refusedV5() {
        let a = admin()
        let c = h.connected("dev", version: .v5)
        h.publish(c, "other/t", qos: .atLeastOnce, id: 3)
        h.publish(c, "other/t", qos: .exactlyOnce, id: 4)
        #expect(plain(h.take(c)) == [.puback(PubAck(packetID: pid(3), reason: .notAuthorized)),
                                     .pubrec(PubAck(packetID: pid(4), reason: .notAuthorized))])
        #expect(h.takePublishes(a).isEmpty)
        h.publish(c, "other/t", qos: .exactlyOnce, id: 4) // a failed PUBREC ends the flow: the id is free
        #expect(plain(h.take(c)) == [.pubrec(PubAck(packetID: pid(4), reason: .notAuthorized))])
    }

    @Test("[v5 interp] an unauthorised SUBSCRIBE entry gets 0x87 (3.1.1: 0x80); the others are granted")
    func subscribeRefused() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = BrokerHarness(authorizer: PrefixAuthorizer())
            let c = h.connected("dev", version: version)
            h.send(c, subscribePacket(["dev/#", "other/#"], qos: .atMostOnce))
            #expect(suback(h.take(c))?.reasons == [.granted(.atMostOnce), .notAuthorized])
            let p = h.connect("root", username: "admin")
            h.publish(p, "other/x")
            h.publish(p, "dev/x")
            #expect(h.takePublishes(c).map(\.topic) == ["dev/x"])
        }
    }
}

@Suite("Authorisation of Wills")
struct WillAuthorizationTests {
    @Test("[v311 interp] [v5 interp] a CONNECT whose Will the client may not publish is refused: 0x05 / v5 0x87")
    func willRefused() throws {
        let h = BrokerHarness(authorizer: PrefixAuthorizer())
        for version in [ProtocolVersion.v311, .v5] {
            let refused = h.connect("dev", version: version, will: will("other/w"))
            #expect(try #require(connack(h.take(refused))).reason == .notAuthorized)
            #expect(h.closed(refused))
            let allowed = h.connect("dev", version: version, will: will("dev/w"))
            #expect(try #require(connack(h.take(allowed))).reason == .success)
            h.drop(allowed)
        }
    }
}
