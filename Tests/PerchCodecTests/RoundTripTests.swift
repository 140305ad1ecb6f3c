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

    @Test("[v5 MQTT-1.5.5-1] [v5 interp] a packet's head followed by its PUBLISH payload is exactly the packet (the transport streams large payloads so)",
          arguments: ProtocolVersion.allCases)
    func headThenPayload(_ version: ProtocolVersion) {
        var generator = RandomPacketGenerator(rng: SeededGenerator(seed: 0x4EAD_0000 + UInt64(version.rawValue)),
                                              version: version)
        var publishes = 0
        for _ in 0..<600 {
            let packet = generator.packet()
            var whole: [UInt8] = []
            packet.encode(version: version, into: &whole)
            var streamed: [UInt8] = []
            packet.encodeHead(version: version, into: &streamed)
            if case .publish(let publish) = packet {
                streamed += publish.payload
                publishes += 1
            }
            #expect(streamed == whole, "\(packet)")
        }
        // A payload needing a 4-byte Remaining Length.
        let big = Packet.publish(Publish(qos: .atLeastOnce, retain: false, topic: "t", packetID: PacketID(1),
                                         payload: [UInt8](repeating: 7, count: 2_100_000)))
        var whole: [UInt8] = []
        big.encode(version: version, into: &whole)
        var streamed: [UInt8] = []
        big.encodeHead(version: version, into: &streamed)
        #expect(streamed.count == whole.count - 2_100_000)
        #expect(streamed + [UInt8](repeating: 7, count: 2_100_000) == whole)
        #expect(publishes > 0)
    }
}
