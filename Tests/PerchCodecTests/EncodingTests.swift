import PerchCodec
import PerchTestKit
import Testing

/// Encoder rules that golden round trips cannot show: what older versions drop, what the
/// short forms look like, minimal Remaining Length.
@Suite("Encoding")
struct EncodingTests {
    static func bytes(_ packet: Packet, _ version: ProtocolVersion) -> [UInt8] {
        var buffer: [UInt8] = []
        packet.encode(version: version, into: &buffer)
        #expect(buffer.count == packet.encodedSize(version: version))
        return buffer
    }

    static func decode(_ bytes: [UInt8], _ version: ProtocolVersion) throws -> Packet? {
        var decoder = FrameDecoder()
        decoder.append(bytes)
        guard let frame = try decoder.next() else { return nil }
        return try Packet(frame: frame, version: version)
    }

    static func id(_ value: UInt16) throws -> PacketID { try #require(PacketID(value)) }

    @Test("[v311 MQTT-3.9.3-2] 3.1.1 SUBACK keeps 0x00-0x02 and writes every failure as 0x80")
    func subAck311FailureCodes() throws {
        let subAck = SubAck(packetID: try Self.id(12), reasons: [.grantedQoS1, .notAuthorized, .topicFilterInvalid,
                                                                   .success, .quotaExceeded, .grantedQoS2])
        #expect(Self.bytes(.suback(subAck), .v311) == [0x90, 0x08, 0x00, 0x0C, 0x01, 0x80, 0x80, 0x00, 0x80, 0x02])
        #expect(Self.bytes(.suback(subAck), .v31) == [0x90, 0x08, 0x00, 0x0C, 0x01, 0x80, 0x80, 0x00, 0x80, 0x02])
    }

    static let connAckMapping: [(ReasonCode, UInt8)] = [
        (.success, 0x00), (.unsupportedProtocolVersion, 0x01), (.clientIdentifierNotValid, 0x02),
        (.serverBusy, 0x03), (.serverUnavailable, 0x03), (.badUserNameOrPassword, 0x04), (.banned, 0x05),
        (.notAuthorized, 0x05), (.malformedPacket, 0x03), (.unspecifiedError, 0x03),
    ]

    @Test("[v311 MQTT-3.2.2-6] [v5 interp] 3.1.1 CONNACK writes ConnectReturnCode311(reason), 0x03 when none fits",
          arguments: connAckMapping)
    func connAck311ReturnCodes(_ mapping: (ReasonCode, UInt8)) {
        let connAck = Packet.connack(ConnAck(sessionPresent: false, reason: mapping.0))
        #expect(Self.bytes(connAck, .v311) == [0x20, 0x02, 0x00, mapping.1])
    }

    @Test("[v5 interp] 3.1 CONNACK writes its reserved first byte as 0 and reads no Session Present from it (3.1 has none)")
    func connAck31HasNoSessionPresent() throws {
        let connAck = Packet.connack(ConnAck(sessionPresent: true, reason: .success))
        #expect(Self.bytes(connAck, .v31) == [0x20, 0x02, 0x00, 0x00])
        #expect(Self.bytes(connAck, .v311) == [0x20, 0x02, 0x01, 0x00])
        // Found by the packet-v311 fuzz harness: decoded as present, it encoded as absent.
        #expect(try Self.decode([0x20, 0x02, 0x01, 0x00], .v31) == .connack(ConnAck(sessionPresent: false, reason: .success)))
    }

    @Test("[v311 MQTT-2.2.2-1] 3.1.1 drops properties and reason codes that do not exist on its wire")
    func olderVersionsDropVersion5Fields() throws {
        var properties = Properties()
        properties.reasonString = "x"
        properties.userProperties = [UserProperty("k", "v")]
        let id = try Self.id(1)
        let cases: [(Packet, [UInt8])] = [
            (.puback(PubAck(packetID: id, reason: .notAuthorized, properties: properties)), [0x40, 0x02, 0x00, 0x01]),
            (.unsuback(UnsubAck(packetID: id, reasons: [.noSubscriptionExisted], properties: properties)),
             [0xB0, 0x02, 0x00, 0x01]),
            (.disconnect(Disconnect(reason: .serverShuttingDown, properties: properties)), [0xE0, 0x00]),
            (.publish(Publish(qos: .atMostOnce, topic: "t", properties: properties, payload: [9])),
             [0x30, 0x04, 0x00, 0x01, 0x74, 0x09]),
            (.connack(ConnAck(sessionPresent: true, reason: .success, properties: properties)), [0x20, 0x02, 0x01, 0x00]),
            (.auth(Auth(reason: .continueAuthentication, properties: properties)), [0xF0, 0x00]),
        ]
        for (packet, expected) in cases {
            #expect(Self.bytes(packet, .v311) == expected, "\(packet)")
        }
    }

    @Test("[v311 MQTT-2.3.1-5] [v311 MQTT-3.3.1-2] [v5 MQTT-3.3.1-2] QoS 0 PUBLISH is written without packet id and without DUP")
    func qos0WithoutPacketIDOrDup() throws {
        let publish = Packet.publish(Publish(dup: true, qos: .atMostOnce, topic: "t", packetID: try Self.id(7), payload: [1]))
        #expect(Self.bytes(publish, .v311) == [0x30, 0x04, 0x00, 0x01, 0x74, 0x01])
        #expect(Self.bytes(publish, .v5) == [0x30, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01])
    }

    @Test("[v5 MQTT-1.5.5-1] Remaining Length is minimal at every VBI boundary and decodes back",
          arguments: [0, 120, 121, 122, 16_378, 16_379, 16_380, 2_097_146, 2_097_147])
    func minimalRemainingLength(payloadCount: Int) throws {
        let publish = Packet.publish(Publish(qos: .atMostOnce, topic: "t", payload: Array(repeating: 0x5A, count: payloadCount)))
        let encoded = Self.bytes(publish, .v311)
        let remaining = payloadCount + 3
        let expectedLengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4
        #expect(encoded.count == 1 + expectedLengthBytes + remaining)
        #expect(encoded[expectedLengthBytes] & 0x80 == 0)  // last length byte
        #expect(try Self.decode(encoded, .v311) == publish)
    }

    @Test("[v5 interp] CONNECT is written for its own version, whatever version the caller passes")
    func connectUsesItsOwnVersion() {
        let connect = Packet.connect(Connect(version: .v31, cleanStart: false, keepAlive: 5, clientID: "x"))
        #expect(Self.bytes(connect, .v5) == Self.bytes(connect, .v31))
        #expect(Self.bytes(connect, .v5)[4...9] == [0x4D, 0x51, 0x49, 0x73, 0x64, 0x70][...])
    }

    static let longForms: [(String, [UInt8], Packet)] = [
        ("PUBACK RL 3, Success", [0x40, 0x03, 0x00, 0x01, 0x00], .puback(PubAck(packetID: PacketID(1)!))),
        ("PUBREC RL 4, Success, empty properties", [0x50, 0x04, 0x00, 0x01, 0x00, 0x00], .pubrec(PubAck(packetID: PacketID(1)!))),
        ("PUBREL RL 3, Success", [0x62, 0x03, 0x00, 0x01, 0x00], .pubrel(PubAck(packetID: PacketID(1)!))),
        ("DISCONNECT RL 1, Success", [0xE0, 0x01, 0x00], .disconnect(Disconnect())),
        ("DISCONNECT RL 2, Success, empty properties", [0xE0, 0x02, 0x00, 0x00], .disconnect(Disconnect())),
        ("AUTH RL 2, Success, empty properties", [0xF0, 0x02, 0x00, 0x00], .auth(Auth())),
        ("PUBACK RL 4, reason, empty properties", [0x40, 0x04, 0x00, 0x01, 0x10, 0x00],
         .puback(PubAck(packetID: PacketID(1)!, reason: .noMatchingSubscribers))),
    ]

    @Test("[v5 interp] v5 long forms (§3.4.2.1, §3.14.2.1, §3.15.2.1) decode like the short forms the encoder writes",
          arguments: longForms)
    func longFormsDecode(_ form: (String, [UInt8], Packet)) throws {
        #expect(try Self.decode(form.1, .v5) == form.2)
        #expect(Self.bytes(form.2, .v5).count < form.1.count)
    }

    @Test("[v5 interp] properties are written in identifier order, user properties in their order")
    func propertyOrder() throws {
        var properties = Properties()
        properties.userProperties = [UserProperty("z", "1"), UserProperty("a", "2"), UserProperty("z", "3")]
        properties.reasonString = "r"
        properties.sessionExpiryInterval = 1
        let encoded = Self.bytes(.disconnect(Disconnect(reason: .unspecifiedError, properties: properties)), .v5)
        #expect(encoded == [0xE0, 0x20, 0x80, 0x1E,
                            0x11, 0, 0, 0, 1,
                            0x1F, 0x00, 0x01, 0x72,
                            0x26, 0x00, 0x01, 0x7A, 0x00, 0x01, 0x31,
                            0x26, 0x00, 0x01, 0x61, 0x00, 0x01, 0x32,
                            0x26, 0x00, 0x01, 0x7A, 0x00, 0x01, 0x33])
        #expect(try Self.decode(encoded, .v5) == .disconnect(Disconnect(reason: .unspecifiedError, properties: properties)))
    }

    @Test("[v5 interp] a packet decoded before CONNECT is read as 3.1.1")
    func preConnectDefault() throws {
        #expect(try Self.decode([0x40, 0x02, 0x00, 0x05], .v311) == .puback(PubAck(packetID: try Self.id(5))))
        var decoder = FrameDecoder()
        decoder.append([0x30, 0x04, 0x00, 0x01, 0x74, 0x00])
        let frame = try #require(try decoder.next())
        #expect(try Packet(frame: frame, version: nil) == .publish(Publish(qos: .atMostOnce, topic: "t", payload: [0])))
    }
}

extension EncodingTests {
    @Test("[v5 interp] encoding many packets into one buffer grows it geometrically, not once per packet")
    func appendGrowsGeometrically() {
        var buffer: [UInt8] = []
        var reallocations = 0
        let packet = Packet.publish(Publish(qos: .atMostOnce, topic: "a/b", payload: [UInt8](repeating: 7, count: 64)))
        for _ in 0..<4000 {
            let before = buffer.capacity
            packet.encode(version: .v311, into: &buffer)
            if buffer.capacity != before { reallocations += 1 }
        }
        #expect(buffer.count == 4000 * packet.encodedSize(version: .v311))
        #expect(reallocations < 40)
    }
}
