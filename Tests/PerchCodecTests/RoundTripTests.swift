import PerchCodec
import Testing

/// Property test: random valid packets (seeded, replayable) survive encode → frame → decode.
@Suite("Round trip")
struct RoundTripTests {
    @Test("[v5 MQTT-1.5.5-1] [v5 interp] random valid packets encode and decode to themselves",
          arguments: ProtocolVersion.allCases)
    func randomPackets(_ version: ProtocolVersion) throws {
        var generator = RandomPacketGenerator(rng: SeededGenerator(seed: 0x5EED_0000 + UInt64(version.rawValue)),
                                              version: version)
        var stream: [UInt8] = []
        var packets: [Packet] = []
        for _ in 0..<600 {
            let packet = generator.packet()
            packet.encode(version: version, into: &stream)
            packets.append(packet)
        }
        // All in one stream through one framer: also checks encodedSize-free framing of the encoder's output.
        var decoder = FrameDecoder()
        decoder.append(stream)
        var index = 0
        while let frame = try decoder.next() {
            let decoded = try Packet(frame: frame, version: version)
            #expect(decoded == packets[index], "packet \(index)")
            index += 1
        }
        #expect(index == packets.count)
        // The in-place path decodes the same stream to the same packets.
        var inPlace = FrameDecoder()
        inPlace.append(stream)
        index = 0
        while let decoded = try inPlace.nextPacket(version: version) {
            #expect(decoded == packets[index], "packet \(index) in place")
            index += 1
        }
        #expect(index == packets.count && inPlace.bufferedByteCount == 0)
        #expect(packets.reduce(0) { $0 + $1.encodedSize(version: version) } == stream.count)
    }
}
