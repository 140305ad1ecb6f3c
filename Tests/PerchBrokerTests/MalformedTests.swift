import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Malformed input reactions")
struct MalformedTests {
    @Test("[v311 MQTT-3.1.2-2] unsupported protocol level gets CONNACK 0x01 and close")
    func unsupportedVersion() {
        let h = BrokerHarness()
        let c = h.open()
        h.malformed(c, DecodeError(.unsupportedProtocolVersion, "level 6"))
        #expect(h.take(c) == [.connack(ConnAck(sessionPresent: false, reason: .unsupportedProtocolVersion))])
        #expect(h.closed(c))
    }

    @Test("[v5 MQTT-3.1.4-1] malformed v5 CONNECT gets CONNACK with the reason and close")
    func malformedConnectV5() {
        let h = BrokerHarness()
        let c = h.open()
        h.malformed(c, DecodeError(.malformedPacket, "bad flags", connectVersion: .v5))
        #expect(h.take(c) == [.connack(ConnAck(sessionPresent: false, reason: .malformedPacket))])
        #expect(h.closed(c))
    }

    @Test("[v311 MQTT-3.1.4-1] malformed 3.1.1 CONNECT: close without CONNACK")
    func malformedConnectV311() {
        let h = BrokerHarness()
        let c = h.open()
        h.malformed(c, DecodeError(.malformedPacket, "reserved flag", connectVersion: .v311))
        let d = h.open()
        h.malformed(d, DecodeError(.malformedPacket, "garbage"))
        #expect(h.sent(c).isEmpty && h.sent(d).isEmpty)
        #expect(h.closed(c) && h.closed(d))
    }

    @Test("[v5 MQTT-4.13.1-1] malformed packet after CONNECT: DISCONNECT with the reason, close, Will published")
    func malformedAfterConnectV5() {
        let h = BrokerHarness()
        let watcher = h.connected("w")
        h.subscribe(watcher, "will/#")
        let c = h.connected("a", version: .v5, will: will("will/a"))
        h.malformed(c, DecodeError(.malformedPacket, "bad utf-8"))
        #expect(h.take(c) == [.disconnect(Disconnect(reason: .malformedPacket))])
        #expect(h.closed(c))
        #expect(publishes(h.take(watcher)).count == 1)
    }

    @Test("[v5 MQTT-3.1.0-2] a second CONNECT of unknown version gets DISCONNECT 0x82, not the CONNACK-only 0x84")
    func secondConnectOfUnknownVersion() {
        // Found by the broker fuzz harness: the DISCONNECT 0x84 sent here did not decode.
        let h = BrokerHarness()
        let c = h.connected("a", version: .v5)
        h.malformed(c, DecodeError(.unsupportedProtocolVersion, "protocol level 9", connectVersion: nil))
        #expect(h.take(c) == [.disconnect(Disconnect(reason: .protocolError))])
        #expect(h.closed(c))
    }

    @Test("[v311 MQTT-4.8.0-1] malformed packet after CONNECT: close, no packet, Will published")
    func malformedAfterConnectV311() {
        let h = BrokerHarness()
        let watcher = h.connected("w")
        h.subscribe(watcher, "will/#")
        let c = h.connected("a", will: will("will/a"))
        h.malformed(c, DecodeError(.malformedPacket, "qos 3"))
        #expect(h.take(c).isEmpty)
        #expect(h.closed(c))
        #expect(publishes(h.take(watcher)).count == 1)
    }

    @Test("[v5 interp] server-only packets from a client get DISCONNECT 0x82")
    func serverOnlyPackets() {
        let h = BrokerHarness()
        let packets: [Packet] = [.connack(ConnAck(sessionPresent: false, reason: .success)),
                                 .suback(SubAck(packetID: pid(1), reasons: [.success])),
                                 .unsuback(UnsubAck(packetID: pid(1))), .pingresp, .auth(Auth())]
        for (index, packet) in packets.enumerated() {
            let c = h.connected("c\(index)", version: .v5)
            h.send(c, packet)
            #expect(h.take(c) == [.disconnect(Disconnect(reason: .protocolError))])
            #expect(h.closed(c))
        }
    }

    @Test("[v311 interp] server-only packet from a 3.1.1 client: close")
    func serverOnlyPacketV311() {
        let h = BrokerHarness()
        let c = h.connected("a")
        h.send(c, .pingresp)
        #expect(h.take(c).isEmpty)
        #expect(h.closed(c))
    }

    @Test("[v311 MQTT-3.1.4-5] events after close are ignored")
    func afterClose() {
        let h = BrokerHarness()
        let c = h.connected("a", version: .v5)
        h.malformed(c, DecodeError(.malformedPacket, "x"))
        _ = h.take(c)
        h.malformed(c, DecodeError(.malformedPacket, "y"))
        h.send(c, .pingreq)
        #expect(h.sent(c).isEmpty)
    }
}
