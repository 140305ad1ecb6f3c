import PerchCodec
import PerchTestKit
import Testing

/// Both directions over the hand-written fixtures of `GoldenPackets`.
@Suite("Golden bytes")
struct GoldenPacketTests {
    @Test("[v5 MQTT-1.5.5-1] [v311 MQTT-2.2.2-1] [v5 MQTT-2.2.2-1] golden bytes decode to the packet",
          arguments: GoldenPackets.all)
    func decodesGolden(_ golden: GoldenPacket) throws {
        let frame = try #require(try Self.singleFrame(golden.bytes))
        let packet = try Packet(frame: frame, version: golden.version)
        #expect(packet == golden.packet)
    }

    @Test("[v5 MQTT-1.5.5-1] [v311 MQTT-2.2.2-1] the packet encodes to the golden bytes", arguments: GoldenPackets.all)
    func encodesGolden(_ golden: GoldenPacket) {
        var buffer: [UInt8] = [0xEE]  // encode appends: existing bytes stay
        golden.packet.encode(version: golden.version, into: &buffer)
        #expect(buffer == [0xEE] + golden.bytes)
        #expect(golden.packet.encodedSize(version: golden.version) == golden.bytes.count)
    }

    @Test("the fixtures cover every packet type in every version it exists in")
    func fixturesCoverEveryType() {
        for version in ProtocolVersion.allCases {
            let types = Set(GoldenPackets.all.filter { $0.version == version }.map(\.packet.type.rawValue))
            let expected = Set((1...(version == .v5 ? 15 : 14)).map(UInt8.init))
            #expect(types == expected, "missing in \(version): \(expected.subtracting(types).sorted())")
        }
    }

    @Test("[v311 MQTT-1.5.3-3] [v5 MQTT-1.5.4-3] U+FEFF in a string is kept, not stripped")
    func byteOrderMarkKept() throws {
        let golden = try #require(GoldenPackets.publish.first { $0.name.contains("FEFF") })
        let packet = try Packet(frame: try #require(try Self.singleFrame(golden.bytes)), version: golden.version)
        guard case let .publish(publish) = packet else {
            Issue.record("not a PUBLISH")
            return
        }
        #expect(Array(publish.topic.utf8) == [0xEF, 0xBB, 0xBF, 0x61])
    }

    /// Frames `bytes`, expecting exactly one frame and nothing left over.
    static func singleFrame(_ bytes: [UInt8]) throws -> Frame? {
        var decoder = FrameDecoder()
        decoder.append(bytes)
        let frame = try decoder.next()
        #expect(decoder.bufferedByteCount == 0)
        return frame
    }
}
