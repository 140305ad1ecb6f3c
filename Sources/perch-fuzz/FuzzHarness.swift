import PerchCodec
import PerchTestKit

/// The fuzz targets. Each takes one input and traps (`preconditionFailure`) when a rule
/// breaks, which libFuzzer (or the replay) reports with the input that did it.
enum FuzzHarness: String, CaseIterable {
    /// `FrameDecoder` fed the input in chunks: every byte is either in a frame, still
    /// buffered, or behind the error that ended the stream; no frame exceeds the limit.
    /// The first two bytes choose the limit and the chunk size.
    case frames
    /// Packets of 3.1.1 (and a first CONNECT of any version) decoded from a byte stream:
    /// decoding in place and through a `Frame` agree, and every packet decoded re-encodes
    /// at its stated size and decodes back to itself.
    case packetV311 = "packet-v311"
    /// The same for 5.0.
    case packetV5 = "packet-v5"
    /// Codec and broker core: six clients' events on a virtual clock (`BrokerFuzzer`),
    /// with wire bytes through their decoders; invariants after every event.
    case broker

    func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .frames: Self.frames(data)
        case .packetV311: Self.packets(data, version: .v311)
        case .packetV5: Self.packets(data, version: .v5)
        case .broker: Self.broker(data)
        }
    }

    /// Seed inputs: the golden packets (alone and all in one stream) for the decoders,
    /// seeded random choices for the broker.
    var seeds: [[UInt8]] {
        switch self {
        case .frames: return Self.goldenSeeds(GoldenPackets.all)
        case .packetV311: return Self.goldenSeeds(GoldenPackets.all.filter { $0.version != .v5 })
        case .packetV5: return Self.goldenSeeds(GoldenPackets.all.filter { $0.version == .v5 })
        case .broker:
            return (1...16).map { seed in
                var random = SplitMix64(seed: UInt64(seed))
                return random.bytes(64 * seed)
            }
        }
    }

    private static func goldenSeeds(_ packets: [GoldenPacket]) -> [[UInt8]] {
        packets.map(\.bytes) + [packets.flatMap(\.bytes)]
    }

    // MARK: Targets

    static func frames(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 2 else { return }
        let limits: [UInt32] = [268_435_460, 2, 16, 128, 1024]
        var framer = FrameDecoder(maximumPacketSize: limits[Int(data[0]) % limits.count])
        let chunk = Int(data[1]) + 1
        var appended = 2, framed = 0
        while appended < data.count {
            let end = min(data.count, appended + chunk)
            framer.append(Array(data[appended..<end]))
            appended = end
            do {
                var before = framer.bufferedByteCount
                while let frame = try framer.next() {
                    // A length field may take more bytes than it needs (MQTT-1.5.5-1 binds the encoder).
                    let consumed = before - framer.bufferedByteCount, minimal = 1 + lengthBytes(frame.body.count) + frame.body.count
                    precondition(consumed >= minimal && consumed <= minimal + 3, "\(consumed) bytes taken for a frame of \(minimal)")
                    precondition(minimal <= Int(framer.maximumPacketSize), "frame of \(minimal) bytes over the limit")
                    framed += consumed
                    before = framer.bufferedByteCount
                }
            } catch {
                return // the transport closes the stream here
            }
            precondition(framed + framer.bufferedByteCount == appended - 2,
                         "\(framed) framed + \(framer.bufferedByteCount) buffered != \(appended - 2) appended")
        }
    }

    /// Bytes of the Remaining Length field for a body of `count` bytes (§2.2.3).
    static func lengthBytes(_ count: Int) -> Int {
        count < 128 ? 1 : count < 16_384 ? 2 : count < 2_097_152 ? 3 : 4
    }

    static func packets(_ data: UnsafeRawBufferPointer, version: ProtocolVersion) {
        var inPlace = FrameDecoder(), framed = FrameDecoder()
        inPlace.append(data)
        framed.append(data)
        var current: ProtocolVersion? = nil // the first packet is decoded as CONNECT decodes it
        while true {
            let direct = Result { () throws(DecodeError) in try inPlace.nextPacket(version: current) }
            let viaFrame = Result { () throws(DecodeError) in
                try framed.next().map { frame throws(DecodeError) in try Packet(frame: frame, version: current) }
            }
            switch (direct, viaFrame) {
            case (.success(nil), .success(nil)), (.failure, .failure): return
            case (.success(let packet?), .success(let other?)):
                precondition(packet == other, "in place \(packet) != via frame \(other)")
                if case .connect(let connect) = packet, current == nil { current = connect.version }
                roundTrip(packet, version: current ?? .v311) // as it was decoded: before a CONNECT, as 3.1.1
                if current == nil { current = version }
            default: preconditionFailure("in place \(direct) but via frame \(viaFrame)")
            }
        }
    }

    /// Encodes a decoded packet and decodes it again: same size as stated, same packet.
    static func roundTrip(_ packet: Packet, version: ProtocolVersion) {
        switch packet.readBack(version: version) {
        case .failure(let problem): preconditionFailure("\(problem)")
        case .success(let again): precondition(again == packet, "\(packet) re-decodes as \(again)")
        }
    }

    static func broker(_ data: UnsafeRawBufferPointer) {
        var fuzzer = BrokerFuzzer(source: FuzzInput(Array(data)))
        fuzzer.run()
        precondition(fuzzer.problems.isEmpty, "broken: \(fuzzer.problems)")
    }
}
