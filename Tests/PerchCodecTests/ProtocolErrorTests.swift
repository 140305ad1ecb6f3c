import PerchCodec
import Testing

/// Parsed-but-forbidden input → 0x82, and the few malformed cases that hide inside
/// well-framed packets (bad property ids, reserved option bits).
@Suite("Protocol errors")
struct ProtocolErrorTests {
    static let publishCases: [MalformedCase] = [
        MalformedCase("[v311 MQTT-3.3.2-2] '+' in topic name → 0x82", .v311, Wire.packet(0x30, Wire.string("a/+")), .protocolError),
        MalformedCase("[v311 MQTT-3.3.2-2] '#' in topic name → 0x82", .v311, Wire.packet(0x30, Wire.string("#")), .protocolError),
        MalformedCase("[v5 MQTT-3.3.2-2] '#' in topic name → 0x82", .v5, Wire.packet(0x30, Wire.string("a/#") + [0]),
                      .protocolError),
        MalformedCase("[v311 MQTT-4.7.3-1] empty topic name → 0x82", .v311, Wire.packet(0x30, Wire.string("")), .protocolError),
        MalformedCase("[v311 MQTT-4.7.3-1] 3.1: empty topic name → 0x82", .v31, Wire.packet(0x30, Wire.string("")),
                      .protocolError),
        MalformedCase("[v311 MQTT-2.3.1-1] QoS 1 packet id 0 → 0x82", .v311, Wire.packet(0x32, Wire.string("t") + [0, 0]),
                      .protocolError),
        MalformedCase("[v5 interp] QoS 2 packet id 0 → 0x82", .v5, Wire.packet(0x34, Wire.string("t") + [0, 0, 0]),
                      .protocolError),
        MalformedCase("[v5 interp] Session Expiry Interval in PUBLISH → 0x81", .v5,
                      Wire.packet(0x30, Wire.string("t") + Wire.properties([0x11, 0, 0, 0, 1])), .malformedPacket),
        MalformedCase("[v5 interp] unknown property identifier 0x7F → 0x81", .v5,
                      Wire.packet(0x30, Wire.string("t") + Wire.properties([0x7F, 0])), .malformedPacket),
        MalformedCase("[v5 interp] property identifier 0x00 → 0x81", .v5,
                      Wire.packet(0x30, Wire.string("t") + Wire.properties([0x00, 0])), .malformedPacket),
        MalformedCase("[v5 interp] Payload Format Indicator 2 → 0x82", .v5,
                      Wire.packet(0x30, Wire.string("t") + Wire.properties([0x01, 0x02])), .protocolError),
        MalformedCase("[v5 interp] Topic Alias twice → 0x82", .v5,
                      Wire.packet(0x30, Wire.string("t") + Wire.properties([0x23, 0, 1, 0x23, 0, 2])), .protocolError),
        MalformedCase("[v5 interp] Subscription Identifier 0 → 0x82", .v5,
                      Wire.packet(0x30, Wire.string("t") + Wire.properties([0x0B, 0x00])), .protocolError),
        MalformedCase("[v5 interp] Subscription Identifier VBI of 5 bytes → 0x81", .v5,
                      Wire.packet(0x30, Wire.string("t") + Wire.properties([0x0B, 0x80, 0x80, 0x80, 0x80, 0x01])),
                      .malformedPacket),
    ]

    @Test("[v311 MQTT-3.3.2-2] [v5 MQTT-3.3.2-2] [v311 MQTT-4.7.3-1] [v311 MQTT-2.3.1-1] bad PUBLISH topic, packet id or properties",
          arguments: publishCases)
    func publish(_ bad: MalformedCase) { bad.expectClassified() }

    static let acknowledgementCases: [MalformedCase] = [
        MalformedCase("PUBACK packet id 0 → 0x82", .v311, [0x40, 0x02, 0x00, 0x00], .protocolError),
        MalformedCase("PUBCOMP packet id 0 → 0x82", .v5, [0x70, 0x02, 0x00, 0x00], .protocolError),
        MalformedCase("PUBACK reason 0x92 (PUBREL/PUBCOMP only) → 0x82", .v5, [0x40, 0x03, 0x00, 0x01, 0x92], .protocolError),
        MalformedCase("PUBREC reason 0x04 → 0x82", .v5, [0x50, 0x03, 0x00, 0x01, 0x04], .protocolError),
        MalformedCase("PUBREL reason 0x10 (PUBACK/PUBREC only) → 0x82", .v5, [0x62, 0x03, 0x00, 0x01, 0x10], .protocolError),
        MalformedCase("PUBCOMP undefined reason 0x05 → 0x82", .v5, [0x70, 0x03, 0x00, 0x01, 0x05], .protocolError),
        MalformedCase("PUBACK with Topic Alias property → 0x81", .v5,
                      Wire.packet(0x40, [0, 1, 0x00] + Wire.properties([0x23, 0, 1])), .malformedPacket),
        MalformedCase("PUBACK Reason String twice → 0x82", .v5,
                      Wire.packet(0x40, [0, 1, 0x00] + Wire.properties([0x1F, 0, 0, 0x1F, 0, 0])), .protocolError),
        MalformedCase("CONNACK flags 0x02 → 0x81 [v5 MQTT-3.2.2-1]", .v5, [0x20, 0x03, 0x02, 0x00, 0x00], .malformedPacket),
        MalformedCase("CONNACK reserved return code 6 → 0x82", .v311, [0x20, 0x02, 0x00, 0x06], .protocolError),
        MalformedCase("CONNACK reason 0x10 → 0x82", .v5, [0x20, 0x03, 0x00, 0x10, 0x00], .protocolError),
        MalformedCase("CONNACK Maximum QoS 2 → 0x82", .v5, Wire.packet(0x20, [0, 0] + Wire.properties([0x24, 0x02])),
                      .protocolError),
        MalformedCase("CONNACK Retain Available 2 → 0x82", .v5, Wire.packet(0x20, [0, 0] + Wire.properties([0x25, 0x02])),
                      .protocolError),
        MalformedCase("CONNACK Shared Subscription Available 5 → 0x82", .v5,
                      Wire.packet(0x20, [0, 0] + Wire.properties([0x2A, 0x05])), .protocolError),
        MalformedCase("CONNACK Request Problem Information (CONNECT only) → 0x81", .v5,
                      Wire.packet(0x20, [0, 0] + Wire.properties([0x17, 0x01])), .malformedPacket),
        MalformedCase("SUBACK 3.1.1 code 0x87 → 0x82 [v311 MQTT-3.9.3-2]", .v311, [0x90, 0x03, 0x00, 0x01, 0x87],
                      .protocolError),
        MalformedCase("SUBACK code 0x11 → 0x82 [v5 MQTT-3.9.3-2]", .v5, [0x90, 0x04, 0x00, 0x01, 0x00, 0x11], .protocolError),
        MalformedCase("SUBACK without codes → 0x82", .v311, [0x90, 0x02, 0x00, 0x01], .protocolError),
        MalformedCase("UNSUBACK code 0x10 → 0x82", .v5, [0xB0, 0x04, 0x00, 0x01, 0x00, 0x10], .protocolError),
    ]

    @Test("[v5 MQTT-3.9.3-2] [v311 MQTT-3.9.3-2] [v5 interp] acknowledgement reason codes outside their table → 0x82",
          arguments: acknowledgementCases)
    func acknowledgements(_ bad: MalformedCase) { bad.expectClassified() }

    static func subscribe(_ version: ProtocolVersion, _ payload: [UInt8], properties: [UInt8] = []) -> [UInt8] {
        Wire.packet(0x82, [0, 1] + (version == .v5 ? Wire.properties(properties) : []) + payload)
    }

    static let subscribeCases: [MalformedCase] = [
        MalformedCase("[v311 MQTT-2.3.1-1] packet id 0 → 0x82", .v311, Wire.packet(0x82, [0, 0] + Wire.string("a") + [0]),
                      .protocolError),
        MalformedCase("[v311 MQTT-3.8.3-3] no filters → 0x82", .v311, subscribe(.v311, []), .protocolError),
        MalformedCase("[v5 interp] no filters (§3.8.3) → 0x82", .v5, subscribe(.v5, []), .protocolError),
        MalformedCase("[v311 MQTT-3-8.3-4] reserved option bit 2 → 0x81", .v311, subscribe(.v311, Wire.string("a") + [0x04]),
                      .malformedPacket),
        MalformedCase("[v311 MQTT-3-8.3-4] QoS 3 → 0x81", .v311, subscribe(.v311, Wire.string("a") + [0x03]), .malformedPacket),
        MalformedCase("[v311 MQTT-3-8.3-4] 3.1: QoS 3 → 0x81", .v31, subscribe(.v31, Wire.string("a") + [0x03]),
                      .malformedPacket),
        MalformedCase("[v5 MQTT-3.8.3-5] reserved option bit 6 → 0x81", .v5, subscribe(.v5, Wire.string("a") + [0x40]),
                      .malformedPacket),
        MalformedCase("[v5 MQTT-3.8.3-5] reserved option bit 7 → 0x81", .v5, subscribe(.v5, Wire.string("a") + [0x80]),
                      .malformedPacket),
        MalformedCase("[v5 interp] QoS 3 (§3.8.3.1) → 0x82", .v5, subscribe(.v5, Wire.string("a") + [0x03]), .protocolError),
        MalformedCase("[v5 interp] Retain Handling 3 (§3.8.3.1) → 0x82", .v5, subscribe(.v5, Wire.string("a") + [0x30]),
                      .protocolError),
        MalformedCase("[v5 MQTT-3.8.3-4] No Local on a shared subscription → 0x82", .v5,
                      subscribe(.v5, Wire.string("$share/g/a") + [0x04]), .protocolError),
        MalformedCase("[v5 interp] Subscription Identifier 0 → 0x82", .v5, subscribe(.v5, Wire.string("a") + [0], properties: [0x0B, 0x00]),
                      .protocolError),
        MalformedCase("[v5 interp] Subscription Identifier twice → 0x82", .v5,
                      subscribe(.v5, Wire.string("a") + [0], properties: [0x0B, 0x01, 0x0B, 0x02]), .protocolError),
        MalformedCase("[v5 interp] Reason String in SUBSCRIBE → 0x81", .v5,
                      subscribe(.v5, Wire.string("a") + [0], properties: [0x1F, 0x00, 0x00]), .malformedPacket),
        MalformedCase("[v311 MQTT-2.3.1-1] UNSUBSCRIBE packet id 0 → 0x82", .v311, Wire.packet(0xA2, [0, 0] + Wire.string("a")),
                      .protocolError),
        MalformedCase("[v311 MQTT-3.10.3-2] UNSUBSCRIBE without filters → 0x82", .v311, Wire.packet(0xA2, [0, 1]),
                      .protocolError),
        MalformedCase("[v5 interp] UNSUBSCRIBE without filters (§3.10.3) → 0x82", .v5, Wire.packet(0xA2, [0, 1, 0]),
                      .protocolError),
        MalformedCase("[v5 interp] UNSUBSCRIBE with Subscription Identifier → 0x81", .v5,
                      Wire.packet(0xA2, [0, 1] + Wire.properties([0x0B, 0x01]) + Wire.string("a")), .malformedPacket),
    ]

    @Test("[v311 MQTT-3-8.3-4] [v5 MQTT-3.8.3-4] [v5 MQTT-3.8.3-5] [v311 MQTT-3.8.3-3] [v311 MQTT-3.10.3-2] bad SUBSCRIBE / UNSUBSCRIBE",
          arguments: subscribeCases)
    func subscriptions(_ bad: MalformedCase) { bad.expectClassified() }

    static let disconnectAndAuthCases: [MalformedCase] = [
        MalformedCase("DISCONNECT reason 0x8C (not in Table 3-10) → 0x82", .v5, [0xE0, 0x01, 0x8C], .protocolError),
        MalformedCase("DISCONNECT undefined reason 0x05 → 0x82", .v5, [0xE0, 0x01, 0x05], .protocolError),
        MalformedCase("DISCONNECT with Topic Alias property → 0x81", .v5,
                      Wire.packet(0xE0, [0x00] + Wire.properties([0x23, 0, 1])), .malformedPacket),
        MalformedCase("DISCONNECT Session Expiry Interval twice → 0x82", .v5,
                      Wire.packet(0xE0, [0x00] + Wire.properties([0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 1])), .protocolError),
        MalformedCase("AUTH reason 0x04 → 0x82 [v5 MQTT-3.15.2-1]", .v5, [0xF0, 0x01, 0x04], .protocolError),
        MalformedCase("AUTH reason 0x80 → 0x82 [v5 MQTT-3.15.2-1]", .v5, [0xF0, 0x01, 0x80], .protocolError),
        MalformedCase("AUTH Authentication Data without Method → 0x82", .v5,
                      Wire.packet(0xF0, [0x18] + Wire.properties([0x16, 0x00, 0x01, 0x01])), .protocolError),
        MalformedCase("AUTH Authentication Method twice → 0x82", .v5,
                      Wire.packet(0xF0, [0x18] + Wire.properties([0x15, 0, 1, 0x6D, 0x15, 0, 1, 0x6D])), .protocolError),
    ]

    @Test("[v5 MQTT-3.14.2-1] [v5 MQTT-3.15.2-1] [v5 interp] bad DISCONNECT / AUTH reason codes and properties",
          arguments: disconnectAndAuthCases)
    func disconnectAndAuth(_ bad: MalformedCase) { bad.expectClassified() }
}
