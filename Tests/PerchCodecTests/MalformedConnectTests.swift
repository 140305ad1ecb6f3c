import PerchCodec
import Testing

/// Bad CONNECT packets (malformed-input.md §1): the reason code, and the version the error
/// carries once the protocol level was read.
@Suite("Malformed CONNECT")
struct MalformedConnectTests {
    static let clientID = Wire.string("c")

    static let protocolCases: [MalformedCase] = [
        MalformedCase("[v5 MQTT-3.1.2-1] unknown protocol name → 0x84", nil,
                      Wire.packet(0x10, Wire.connectHeader("MQTX", level: 4, flags: 2) + clientID), .unsupportedProtocolVersion),
        MalformedCase("[v311 MQTT-3.1.2-2] MQTT with level 3 → 0x84", nil,
                      Wire.packet(0x10, Wire.connectHeader(level: 3, flags: 2) + clientID), .unsupportedProtocolVersion),
        MalformedCase("[v5 MQTT-3.1.2-2] MQTT with level 6 → 0x84", nil,
                      Wire.packet(0x10, Wire.connectHeader(level: 6, flags: 2) + clientID), .unsupportedProtocolVersion),
        MalformedCase("[v311 MQTT-3.1.2-1] MQIsdp with level 4 → 0x84", nil,
                      Wire.packet(0x10, Wire.connectHeader("MQIsdp", level: 4, flags: 2) + clientID),
                      .unsupportedProtocolVersion),
        MalformedCase("[v311 MQTT-2.2.2-2] CONNECT fixed-header flags not 0000 → 0x81", nil,
                      [0x12] + Wire.connect311(payload: clientID).dropFirst(), .malformedPacket),
        MalformedCase("[v5 interp] CONNECT truncated inside the protocol name → 0x81", nil,
                      Wire.packet(0x10, [0x00, 0x04, 0x4D, 0x51]), .malformedPacket),
    ]

    @Test("[v311 MQTT-3.1.2-1] [v311 MQTT-3.1.2-2] [v5 MQTT-3.1.2-1] [v5 MQTT-3.1.2-2] unknown protocol or level → 0x84, no version",
          arguments: protocolCases)
    func protocolErrors(_ bad: MalformedCase) { bad.expectClassified() }

    static let flagCases: [MalformedCase] = [
        MalformedCase("[v311 MQTT-3.1.2-3] reserved flag bit 0 → 0x81", nil, Wire.connect311(flags: 0x03, payload: clientID),
                      .malformedPacket, connectVersion: .v311),
        MalformedCase("[v5 MQTT-3.1.2-3] reserved flag bit 0 → 0x81", nil, Wire.connect5(flags: 0x03, payload: clientID),
                      .malformedPacket, connectVersion: .v5),
        MalformedCase("[v311 client MQTT-3.1.2-11] [v311 client MQTT-3.1.2-13] Will QoS 1 without Will Flag → 0x81", nil,
                      Wire.connect311(flags: 0x0A, payload: clientID), .malformedPacket, connectVersion: .v311),
        MalformedCase("[v311 client MQTT-3.1.2-15] Will Retain without Will Flag → 0x81", nil,
                      Wire.connect311(flags: 0x22, payload: clientID), .malformedPacket, connectVersion: .v311),
        MalformedCase("[v5 client MQTT-3.1.2-11] [v5 client MQTT-3.1.2-13] Will QoS 2 without Will Flag → 0x81", nil,
                      Wire.connect5(flags: 0x12, payload: clientID), .malformedPacket, connectVersion: .v5),
        MalformedCase("[v311 client MQTT-3.1.2-14] Will QoS 3 → 0x81", nil,
                      Wire.connect311(flags: 0x1E, payload: clientID + Wire.string("w") + Wire.raw([])),
                      .malformedPacket, connectVersion: .v311),
        MalformedCase("[v5 interp] Will QoS 3 → 0x81", nil,
                      Wire.connect5(flags: 0x1E, payload: clientID + [0] + Wire.string("w") + Wire.raw([])),
                      .malformedPacket, connectVersion: .v5),
        MalformedCase("[v311 client MQTT-3.1.2-22] password without user name → 0x81", nil,
                      Wire.connect311(flags: 0x42, payload: clientID + Wire.raw([1])), .malformedPacket, connectVersion: .v311),
        MalformedCase("[v311 client MQTT-3.1.2-22] 3.1: password without user name → 0x81", nil,
                      Wire.packet(0x10, Wire.connectHeader("MQIsdp", level: 3, flags: 0x42) + clientID + Wire.raw([1])),
                      .malformedPacket, connectVersion: .v31),
    ]

    @Test("[v311 MQTT-3.1.2-3] [v5 MQTT-3.1.2-3] [v311 client MQTT-3.1.2-22] bad CONNECT flags → 0x81 with the version",
          arguments: flagCases)
    func flagErrors(_ bad: MalformedCase) { bad.expectClassified() }

    static let payloadCases: [MalformedCase] = [
        MalformedCase("[v311 client MQTT-3.1.3-1] client id missing → 0x81", nil, Wire.connect311(payload: []),
                      .malformedPacket, connectVersion: .v311),
        MalformedCase("[v311 client MQTT-3.1.3-1] extra bytes after the payload → 0x81", nil,
                      Wire.connect311(payload: clientID + [0x00]), .malformedPacket, connectVersion: .v311),
        MalformedCase("[v311 client MQTT-3.1.2-19] user name flag without user name → 0x81", nil,
                      Wire.connect311(flags: 0x82, payload: clientID), .malformedPacket, connectVersion: .v311),
        MalformedCase("[v5 interp] password flag without password → 0x81", nil,
                      Wire.connect5(flags: 0x42, payload: clientID), .malformedPacket, connectVersion: .v5),
        MalformedCase("[v311 client MQTT-3.1.2-9] will flag without will topic → 0x81", nil,
                      Wire.connect311(flags: 0x06, payload: clientID), .malformedPacket, connectVersion: .v311),
        MalformedCase("[v311 client MQTT-3.1.3-4] [v311 MQTT-1.5.3-1] client id overlong UTF-8 → 0x81", nil,
                      Wire.connect311(payload: Wire.raw([0xC0, 0x80])), .malformedPacket, connectVersion: .v311),
        MalformedCase("[v311 client MQTT-3.1.3-10] will topic with a surrogate → 0x81", nil,
                      Wire.connect311(flags: 0x06, payload: clientID + Wire.raw([0xED, 0xA0, 0x80]) + Wire.raw([])),
                      .malformedPacket, connectVersion: .v311),
        MalformedCase("[v311 client MQTT-3.1.3-11] user name with U+0000 → 0x81", nil,
                      Wire.connect311(flags: 0x82, payload: clientID + Wire.raw([0x61, 0x00])),
                      .malformedPacket, connectVersion: .v311),
        MalformedCase("[v5 interp] will topic with a wildcard → 0x82", nil,
                      Wire.connect5(flags: 0x06, payload: clientID + [0] + Wire.string("a/#") + Wire.raw([])),
                      .protocolError, connectVersion: .v5),
        MalformedCase("[v311 MQTT-4.7.3-1] empty will topic → 0x82", nil,
                      Wire.connect311(flags: 0x06, payload: clientID + Wire.string("") + Wire.raw([])),
                      .protocolError, connectVersion: .v311),
    ]

    @Test("[v311 client MQTT-3.1.3-1] [v5 MQTT-1.5.4-1] missing, extra or ill-formed CONNECT payload fields → 0x81 with the version",
          arguments: payloadCases)
    func payloadErrors(_ bad: MalformedCase) { bad.expectClassified() }

    static let propertyCases: [MalformedCase] = [
        MalformedCase("Receive Maximum 0 → 0x82", nil, Wire.connect5(properties: [0x21, 0x00, 0x00], payload: clientID),
                      .protocolError, connectVersion: .v5),
        MalformedCase("Maximum Packet Size 0 → 0x82", nil,
                      Wire.connect5(properties: [0x27, 0, 0, 0, 0], payload: clientID), .protocolError, connectVersion: .v5),
        MalformedCase("Request Problem Information 2 → 0x82", nil,
                      Wire.connect5(properties: [0x17, 0x02], payload: clientID), .protocolError, connectVersion: .v5),
        MalformedCase("Request Response Information 2 → 0x82", nil,
                      Wire.connect5(properties: [0x19, 0x02], payload: clientID), .protocolError, connectVersion: .v5),
        MalformedCase("Authentication Data without Authentication Method → 0x82", nil,
                      Wire.connect5(properties: [0x16, 0x00, 0x01, 0xAA], payload: clientID), .protocolError,
                      connectVersion: .v5),
        MalformedCase("Session Expiry Interval twice → 0x82", nil,
                      Wire.connect5(properties: [0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2], payload: clientID),
                      .protocolError, connectVersion: .v5),
        MalformedCase("Topic Alias (not a CONNECT property) → 0x81", nil,
                      Wire.connect5(properties: [0x23, 0x00, 0x01], payload: clientID), .malformedPacket, connectVersion: .v5),
        MalformedCase("Will Delay Interval in CONNECT properties → 0x81", nil,
                      Wire.connect5(properties: [0x18, 0, 0, 0, 1], payload: clientID), .malformedPacket, connectVersion: .v5),
        MalformedCase("Session Expiry Interval in Will Properties → 0x81", nil,
                      Wire.connect5(flags: 0x06, payload: clientID + Wire.properties([0x11, 0, 0, 0, 1])
                                    + Wire.string("w") + Wire.raw([])), .malformedPacket, connectVersion: .v5),
        MalformedCase("Will Payload Format Indicator 2 → 0x82", nil,
                      Wire.connect5(flags: 0x06, payload: clientID + Wire.properties([0x01, 0x02])
                                    + Wire.string("w") + Wire.raw([])), .protocolError, connectVersion: .v5),
        MalformedCase("property length beyond the packet → 0x81", nil,
                      Wire.packet(0x10, Wire.connectHeader(level: 5, flags: 2) + [0x09, 0x21, 0x00, 0x01]),
                      .malformedPacket, connectVersion: .v5),
        MalformedCase("User Property name with bad UTF-8 → 0x81", nil,
                      Wire.connect5(properties: [0x26] + Wire.raw([0xFF]) + Wire.string("v"), payload: clientID),
                      .malformedPacket, connectVersion: .v5),
    ]

    @Test("[v5 interp] bad CONNECT and Will properties (§2.2.2.2, §3.1.2.11, §3.1.3.2) → 0x81 / 0x82 with v5",
          arguments: propertyCases)
    func propertyErrors(_ bad: MalformedCase) { bad.expectClassified() }
}
