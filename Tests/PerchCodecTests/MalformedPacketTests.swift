import PerchCodec
import Testing

/// Bad packets after CONNECT (malformed-input.md §2 – §5): Malformed (0x81) when they cannot
/// be parsed, Protocol Error (0x82) when parsed but forbidden.
@Suite("Malformed packets")
struct MalformedPacketTests {
    static let fixedHeaderCases: [MalformedCase] = [
        MalformedCase("packet type 0 → 0x81", .v311, [0x00, 0x00], .malformedPacket),
        MalformedCase("packet type 0 → 0x81", .v5, [0x00, 0x00], .malformedPacket),
        MalformedCase("type 15 (AUTH) in 3.1.1 → 0x81", .v311, [0xF0, 0x00], .malformedPacket),
        MalformedCase("type 15 (AUTH) in 3.1 → 0x81", .v31, [0xF0, 0x00], .malformedPacket),
        MalformedCase("[v311 MQTT-3.3.1-4] PUBLISH QoS 3 → 0x81", .v311,
                      Wire.packet(0x36, Wire.string("t") + [0, 1]), .malformedPacket),
        MalformedCase("[v5 MQTT-3.3.1-4] PUBLISH QoS 3 → 0x81", .v5,
                      Wire.packet(0x36, Wire.string("t") + [0, 1, 0]), .malformedPacket),
        MalformedCase("[v311 MQTT-3.3.1-2] PUBLISH DUP on QoS 0 → 0x81", .v311,
                      Wire.packet(0x38, Wire.string("t")), .malformedPacket),
        MalformedCase("[v311 MQTT-3.6.1-1] PUBREL flags 0000 → 0x81", .v311, [0x60, 0x02, 0x00, 0x01], .malformedPacket),
        MalformedCase("[v5 MQTT-3.6.1-1] PUBREL flags 0011 → 0x81", .v5, [0x63, 0x02, 0x00, 0x01], .malformedPacket),
        MalformedCase("[v311 MQTT-3.8.1-1] SUBSCRIBE flags 0000 → 0x81", .v311,
                      Wire.packet(0x80, [0, 1] + Wire.string("a") + [0]), .malformedPacket),
        MalformedCase("[v311 MQTT-3.10.1-1] UNSUBSCRIBE flags 0000 → 0x81", .v311,
                      Wire.packet(0xA0, [0, 1] + Wire.string("a")), .malformedPacket),
        MalformedCase("[v311 MQTT-2.2.2-2] PUBACK flags 0001 → 0x81", .v311, [0x41, 0x02, 0x00, 0x01], .malformedPacket),
        MalformedCase("[v311 MQTT-3.14.1-1] DISCONNECT flags 0001 → 0x81", .v311, [0xE1, 0x00], .malformedPacket),
        MalformedCase("[v5 MQTT-3.14.1-1] DISCONNECT flags 0001 → 0x81", .v5, [0xE1, 0x00], .malformedPacket),
        MalformedCase("[v5 MQTT-3.15.1-1] AUTH flags 0001 → 0x81", .v5, [0xF1, 0x00], .malformedPacket),
        MalformedCase("[v311 MQTT-2.2.2-2] PINGREQ flags 1000 → 0x81", .v311, [0xC8, 0x00], .malformedPacket),
    ]

    @Test("[v311 MQTT-2.2.2-2] [v5 MQTT-2.1.3-1] [v5 MQTT-3.3.1-4] [v5 MQTT-3.6.1-1] [v5 MQTT-3.8.1-1] [v5 MQTT-3.10.1-1] [v5 MQTT-3.14.1-1] [v5 MQTT-3.15.1-1] forbidden types and fixed-header flags → 0x81",
          arguments: fixedHeaderCases)
    func fixedHeader(_ bad: MalformedCase) { bad.expectClassified() }

    static let lengthCases: [MalformedCase] = [
        MalformedCase("PINGREQ with a body → 0x81", .v311, [0xC0, 0x01, 0x00], .malformedPacket),
        MalformedCase("PINGRESP with a body → 0x81", .v5, [0xD0, 0x01, 0x00], .malformedPacket),
        MalformedCase("DISCONNECT with a body → 0x81", .v311, [0xE0, 0x01, 0x00], .malformedPacket),
        MalformedCase("PUBACK with one byte → 0x81", .v311, [0x40, 0x01, 0x00], .malformedPacket),
        MalformedCase("PUBACK with three bytes → 0x81", .v311, [0x40, 0x03, 0x00, 0x01, 0x00], .malformedPacket),
        MalformedCase("UNSUBACK with a reason → 0x81", .v311, [0xB0, 0x03, 0x00, 0x01, 0x00], .malformedPacket),
        MalformedCase("PUBLISH topic length beyond the packet → 0x81", .v311,
                      Wire.packet(0x30, [0x00, 0x05, 0x61, 0x62]), .malformedPacket),
        MalformedCase("PUBLISH QoS 1 without packet id → 0x81", .v311, Wire.packet(0x32, Wire.string("t")), .malformedPacket),
        MalformedCase("PUBLISH property length beyond the packet → 0x81", .v5,
                      Wire.packet(0x30, Wire.string("t") + [0x05, 0x01]), .malformedPacket),
        MalformedCase("PUBACK property value truncated → 0x81", .v5,
                      Wire.packet(0x40, [0, 1, 0x80, 0x03, 0x1F, 0x00, 0x05]), .malformedPacket),
        MalformedCase("CONNACK without return code → 0x81", .v311, [0x20, 0x01, 0x00], .malformedPacket),
        MalformedCase("SUBSCRIBE entry without options byte → 0x81", .v311,
                      Wire.packet(0x82, [0, 1] + Wire.string("a")), .malformedPacket),
    ]

    @Test("[v5 interp] body shorter or longer than its fields need (§2.1.4, §2.2.3) → 0x81", arguments: lengthCases)
    func lengthMismatch(_ bad: MalformedCase) { bad.expectClassified() }

    static let utf8Cases: [(String, [UInt8])] = [
        ("overlong 2-byte C0 AF", [0xC0, 0xAF]),
        ("overlong 2-byte C1 BF", [0xC1, 0xBF]),
        ("overlong 3-byte E0 80 AF", [0xE0, 0x80, 0xAF]),
        ("overlong 4-byte F0 80 80 AF", [0xF0, 0x80, 0x80, 0xAF]),
        ("surrogate U+D800", [0xED, 0xA0, 0x80]),
        ("surrogate U+DFFF", [0xED, 0xBF, 0xBF]),
        ("above U+10FFFF (F4 90 80 80)", [0xF4, 0x90, 0x80, 0x80]),
        ("lead byte F5", [0xF5, 0x80, 0x80, 0x80]),
        ("lead byte FF", [0xFF]),
        ("truncated 3-byte sequence", [0x61, 0xE2, 0x82]),
        ("truncated 2-byte sequence at the end", [0x61, 0xC3]),
        ("lone continuation byte", [0x80]),
        ("continuation byte missing in the middle", [0xE2, 0x28, 0xA1]),
        ("U+0000", [0x61, 0x00, 0x62]),
        ("U+0000 inside a long ASCII run", Array(repeating: 0x61, count: 11) + [0x00] + Array(repeating: 0x62, count: 12)),
        ("U+0000 as the 8th byte", Array(repeating: 0x61, count: 7) + [0x00]),
        ("surrogate after 16 ASCII bytes", Array(repeating: 0x61, count: 16) + [0xED, 0xB0, 0x80]),
        ("byte 0x80 after 9 ASCII bytes", Array(repeating: 0x61, count: 9) + [0x80] + Array(repeating: 0x61, count: 8)),
    ]

    @Test("[v311 MQTT-1.5.3-1] [v311 MQTT-1.5.3-2] [v5 MQTT-1.5.4-1] [v5 MQTT-1.5.4-2] [v311 MQTT-3.3.2-1] [v5 MQTT-3.3.2-1] ill-formed UTF-8 or U+0000 in a string (PUBLISH Topic Name first) → 0x81",
          arguments: utf8Cases, [ProtocolVersion.v311, .v5])
    func illFormedUTF8(_ utf8: (String, [UInt8]), _ version: ProtocolVersion) {
        let propertyLength: [UInt8] = version == .v5 ? [0] : []
        let topic = MalformedCase("PUBLISH topic \(utf8.0)", version, Wire.packet(0x30, Wire.raw(utf8.1) + propertyLength),
                                  .malformedPacket)
        topic.expectClassified()
        let filter = MalformedCase("SUBSCRIBE filter \(utf8.0)", version,
                                   Wire.packet(0x82, [0, 1] + propertyLength + Wire.raw(utf8.1) + [0]), .malformedPacket)
        filter.expectClassified()
        let unsubscribe = MalformedCase("UNSUBSCRIBE filter \(utf8.0)", version,
                                        Wire.packet(0xA2, [0, 1] + propertyLength + Wire.raw(utf8.1)), .malformedPacket)
        unsubscribe.expectClassified()
    }

    @Test("[v5 MQTT-1.5.7-1] [v5 MQTT-1.5.4-1] [v5 MQTT-3.3.2-13] [v5 MQTT-3.3.2-19] ill-formed UTF-8 in a User Property value, Reason String, Response Topic or Content Type → 0x81",
          arguments: utf8Cases)
    func illFormedUTF8InProperties(_ utf8: (String, [UInt8])) {
        let userProperty = [0x26] + Wire.string("k") + Wire.raw(utf8.1)
        MalformedCase("User Property", .v5, Wire.packet(0x30, Wire.string("t") + Wire.properties(userProperty)),
                      .malformedPacket).expectClassified()
        let reasonString = [0x1F] + Wire.raw(utf8.1)
        MalformedCase("Reason String", .v5, Wire.packet(0xE0, [0x80] + Wire.properties(reasonString)),
                      .malformedPacket).expectClassified()
        for (name, id) in [("Response Topic", UInt8(0x08)), ("Content Type", 0x03)] {
            MalformedCase(name, .v5, Wire.packet(0x30, Wire.string("t") + Wire.properties([id] + Wire.raw(utf8.1))),
                          .malformedPacket).expectClassified()
        }
    }

    static let wellFormedUTF8: [(String, [UInt8])] = [
        ("control characters U+0001 and U+007F", [0x01, 0x7F]),
        ("U+0080 (C2 80)", [0xC2, 0x80]),
        ("U+FEFF kept", [0xEF, 0xBB, 0xBF]),
        ("U+D7FF (ED 9F BF)", [0xED, 0x9F, 0xBF]),
        ("U+E000 (EE 80 80)", [0xEE, 0x80, 0x80]),
        ("U+FFFF non-character", [0xEF, 0xBF, 0xBF]),
        ("U+10000 (F0 90 80 80)", [0xF0, 0x90, 0x80, 0x80]),
        ("U+10FFFF (F4 8F BF BF)", [0xF4, 0x8F, 0xBF, 0xBF]),
        ("long ASCII with a 2-byte scalar after 13 bytes", Array("sensors/abcde".utf8) + [0xC3, 0xA9] + Array("/temp/xyz".utf8)),
    ]

    @Test("[v311 MQTT-1.5.3-3] [v5 MQTT-1.5.4-3] [v5 interp] well-formed strings (control characters, U+FEFF, edges) decode unchanged",
          arguments: wellFormedUTF8)
    func wellFormedStrings(_ utf8: (String, [UInt8])) throws {
        var decoder = FrameDecoder()
        decoder.append(Wire.packet(0x30, Wire.raw(utf8.1)))
        let packet = try Packet(frame: try #require(try decoder.next()), version: .v311)
        guard case let .publish(publish) = packet else {
            Issue.record("not a PUBLISH")
            return
        }
        #expect(Array(publish.topic.utf8) == utf8.1)
    }
}
