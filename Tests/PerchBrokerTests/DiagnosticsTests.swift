import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

/// Reason Strings and User Properties on what the broker sends: Request Problem
/// Information and the client's Maximum Packet Size decide what may go.
@Suite("Reason Strings and fitting")
struct DiagnosticsTests {
    let long = String(repeating: "r", count: 60)
    let user = [UserProperty("key", String(repeating: "v", count: 60))]

    /// Every packet type the broker sends with diagnostics, carrying a long Reason String
    /// and a long User Property.
    func heavyPackets() -> [Packet] {
        let props = v5 { $0.reasonString = long; $0.userProperties = user }
        return [
            .connack(ConnAck(sessionPresent: false, reason: .notAuthorized, properties: props)),
            .puback(PubAck(packetID: pid(1), reason: .quotaExceeded, properties: props)),
            .pubrec(PubAck(packetID: pid(1), reason: .quotaExceeded, properties: props)),
            .pubrel(PubAck(packetID: pid(1), reason: .packetIdentifierNotFound, properties: props)),
            .pubcomp(PubAck(packetID: pid(1), reason: .packetIdentifierNotFound, properties: props)),
            .suback(SubAck(packetID: pid(1), reasons: [.topicFilterInvalid], properties: props)),
            .unsuback(UnsubAck(packetID: pid(1), reasons: [.noSubscriptionExisted], properties: props)),
            .disconnect(Disconnect(reason: .protocolError, properties: props)),
            .auth(Auth(reason: .continueAuthentication, properties: props)),
        ]
    }

    func diagnostics(_ packet: Packet) -> (String?, [UserProperty])? {
        switch packet {
        case .connack(let a): return (a.properties.reasonString, a.properties.userProperties)
        case .puback(let a), .pubrec(let a), .pubrel(let a), .pubcomp(let a):
            return (a.properties.reasonString, a.properties.userProperties)
        case .suback(let a): return (a.properties.reasonString, a.properties.userProperties)
        case .unsuback(let a): return (a.properties.reasonString, a.properties.userProperties)
        case .disconnect(let d): return (d.properties.reasonString, d.properties.userProperties)
        case .auth(let a): return (a.properties.reasonString, a.properties.userProperties)
        case .connect, .publish, .subscribe, .unsubscribe, .pingreq, .pingresp: return nil
        }
    }

    @Test("""
        [v5 MQTT-3.2.2-19] [v5 MQTT-3.4.2-2] [v5 MQTT-3.5.2-2] [v5 MQTT-3.6.2-2] [v5 MQTT-3.7.2-2] \
        [v5 MQTT-3.9.2-1] [v5 MQTT-3.11.2-1] [v5 MQTT-3.14.2-3] [v5 MQTT-3.15.2-2] \
        the Reason String goes first when a packet would exceed the client's Maximum Packet Size
        """)
    func reasonStringDroppedFirst() throws {
        for packet in heavyPackets() {
            let withoutReason = packet.fitted(maximumPacketSize: 0, problemInformation: true)
            let size = withoutReason.encodedSize(version: .v5) - long.utf8.count - 3
            let fitted = packet.fitted(maximumPacketSize: UInt32(size), problemInformation: true)
            let (reason, users) = try #require(diagnostics(fitted))
            #expect(reason == nil, "\(packet)")
            #expect(users == user, "\(packet)")
            #expect(fitted.encodedSize(version: .v5) <= size)
        }
    }

    @Test("""
        [v5 MQTT-3.2.2-20] [v5 MQTT-3.4.2-3] [v5 MQTT-3.5.2-3] [v5 MQTT-3.6.2-3] [v5 MQTT-3.7.2-3] \
        [v5 MQTT-3.9.2-2] [v5 MQTT-3.11.2-2] [v5 MQTT-3.14.2-4] [v5 MQTT-3.15.2-3] \
        User Properties go too when the packet still does not fit; a packet that fits keeps both
        """)
    func userPropertiesDroppedNext() throws {
        for packet in heavyPackets() {
            let fitted = packet.fitted(maximumPacketSize: 20, problemInformation: true)
            let (reason, users) = try #require(diagnostics(fitted))
            #expect(reason == nil && users.isEmpty, "\(packet)")
            let roomy = packet.fitted(maximumPacketSize: 1000, problemInformation: true)
            #expect(roomy == packet)
        }
    }

    @Test("[v5 MQTT-3.1.2-29] Request Problem Information 0: diagnostics only on PUBLISH, CONNACK, DISCONNECT")
    func problemInformationOff() throws {
        for packet in heavyPackets() {
            let fitted = packet.fitted(maximumPacketSize: 0, problemInformation: false)
            let (reason, users) = try #require(diagnostics(fitted))
            switch packet {
            case .connack, .disconnect: #expect(reason == long && users == user)
            default: #expect(reason == nil && users.isEmpty, "\(packet)")
            }
        }
    }

    @Test("[v5 MQTT-3.1.2-29] end to end: a client with Request Problem Information 0 gets PUBACK 0x97 without a Reason String")
    func problemInformationOffEndToEnd() {
        var config = BrokerConfiguration()
        config.messageSizeLimit = 2
        let h = BrokerHarness(configuration: config)
        let quiet = h.connected("q", version: .v5, properties: v5 { $0.requestProblemInformation = 0 })
        h.publish(quiet, "t", "long", qos: .atLeastOnce, id: 1)
        #expect(h.take(quiet) == [.puback(PubAck(packetID: pid(1), reason: .quotaExceeded))])
        let chatty = h.connected("c", version: .v5)
        h.publish(chatty, "t", "long", qos: .atLeastOnce, id: 1)
        guard case .puback(let ack)? = h.take(chatty).first else { Issue.record("no PUBACK"); return }
        #expect(ack.reason == .quotaExceeded && ack.properties.reasonString != nil)
    }

    @Test("[v5 MQTT-3.4.2-2] end to end: a PUBACK Reason String that would exceed Maximum Packet Size is left out")
    func reasonStringTooLargeEndToEnd() {
        var config = BrokerConfiguration()
        config.messageSizeLimit = 2
        let h = BrokerHarness(configuration: config)
        let c = h.connected("c", version: .v5, properties: v5 { $0.maximumPacketSize = 10 })
        h.publish(c, "t", "long", qos: .atLeastOnce, id: 1)
        #expect(h.take(c) == [.puback(PubAck(packetID: pid(1), reason: .quotaExceeded))])
    }

    @Test("[v5 MQTT-3.2.2-19] a refusing CONNACK keeps its Reason String only if it fits")
    func connackReasonFitted() throws {
        var config = BrokerConfiguration()
        config.allowAnonymous = false
        let h = BrokerHarness(configuration: config)
        let roomy = h.connect("a", version: .v5)
        #expect(try #require(connack(h.take(roomy))).properties.reasonString == "not authorized")
        let tight = h.connect("b", version: .v5, properties: v5 { $0.maximumPacketSize = 8 })
        #expect(h.take(tight) == [.connack(ConnAck(sessionPresent: false, reason: .notAuthorized))])
    }

    @Test("[v5 interp] failure acks carry a Reason String: SUBACK 0x8F, PUBCOMP 0x92, DISCONNECT 0x93")
    func reasonStringsPresent() throws {
        let h = BrokerHarness()
        let c = h.connected("c", version: .v5)
        h.send(c, .subscribe(Subscribe(packetID: pid(1), entries: [.invalidFilter("a/#/b")])))
        #expect(try #require(suback(h.take(c))).properties.reasonString == "invalid topic filter")
        h.send(c, .pubrel(PubAck(packetID: pid(4))))
        guard case .pubcomp(let comp)? = h.take(c).first else { Issue.record("no PUBCOMP"); return }
        #expect(comp.properties.reasonString == "packet identifier not found")
    }

    @Test("[v311 interp] 3.1.1 acks carry no properties")
    func v311NoDiagnostics() {
        var config = BrokerConfiguration()
        config.messageSizeLimit = 2
        let h = BrokerHarness(configuration: config)
        let c = h.connected("c")
        h.publish(c, "t", "long", qos: .atLeastOnce, id: 1)
        #expect(h.take(c) == [.puback(PubAck(packetID: pid(1), reason: .quotaExceeded))])
    }
}
