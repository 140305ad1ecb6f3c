import PerchCodec
import PerchTestKit
import Testing

/// The incremental framer: any split of the input yields the same frames.
@Suite("FrameDecoder")
struct FrameDecoderTests {
    static let fixtures = GoldenPackets.all

    /// The frame every golden fixture should produce: header byte and the body after the length.
    static func expectedFrame(_ bytes: [UInt8]) -> Frame {
        var index = 1
        while bytes[index] & 0x80 != 0 { index += 1 }
        return Frame(header: bytes[0], body: Array(bytes[(index + 1)...]))
    }

    static func drain(_ decoder: inout FrameDecoder) throws -> [Frame] {
        var frames: [Frame] = []
        while let frame = try decoder.next() { frames.append(frame) }
        return frames
    }

    @Test("[v5 interp] every fixture fed one byte at a time frames once, at its last byte", arguments: fixtures)
    func oneByteAtATime(_ golden: GoldenPacket) throws {
        var decoder = FrameDecoder()
        var frames: [Frame] = []
        for (offset, byte) in golden.bytes.enumerated() {
            decoder.append([byte])
            let new = try Self.drain(&decoder)
            #expect(new.isEmpty == (offset < golden.bytes.count - 1))
            frames += new
        }
        #expect(frames == [Self.expectedFrame(golden.bytes)])
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("[v5 interp] every fixture split at every offset into two appends frames the same", arguments: fixtures)
    func splitAtEveryOffset(_ golden: GoldenPacket) throws {
        for split in 0...golden.bytes.count {
            var decoder = FrameDecoder()
            var frames: [Frame] = []
            golden.bytes[..<split].withUnsafeBytes { decoder.append($0) }
            frames += try Self.drain(&decoder)
            golden.bytes[split...].withUnsafeBytes { decoder.append($0) }
            frames += try Self.drain(&decoder)
            #expect(frames == [Self.expectedFrame(golden.bytes)], "split at \(split)")
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test("[v5 interp] all fixtures concatenated in one append frame in order")
    func allInOneAppend() throws {
        var decoder = FrameDecoder()
        decoder.append(Self.fixtures.flatMap(\.bytes))
        #expect(try Self.drain(&decoder) == Self.fixtures.map { Self.expectedFrame($0.bytes) })
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("[v5 interp] all fixtures concatenated and fed in 7-byte chunks frame in order")
    func allInChunks() throws {
        let stream = Self.fixtures.flatMap(\.bytes)
        var decoder = FrameDecoder()
        var frames: [Frame] = []
        for start in stride(from: 0, to: stream.count, by: 7) {
            decoder.append(Array(stream[start..<min(start + 7, stream.count)]))
            frames += try Self.drain(&decoder)
        }
        #expect(frames == Self.fixtures.map { Self.expectedFrame($0.bytes) })
    }

    @Test("[v5 interp] a partial frame stays buffered and is counted")
    func partialFrameBuffered() throws {
        var decoder = FrameDecoder()
        decoder.append([0x30, 0x05, 0x00, 0x01])
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 4)
        decoder.append([0x74, 0x61, 0x62, 0xC0])
        #expect(try decoder.next() == Frame(header: 0x30, body: [0x00, 0x01, 0x74, 0x61, 0x62]))
        #expect(decoder.bufferedByteCount == 1)
        #expect(try decoder.next() == nil)
    }

    @Test("[v5 interp] a 4-byte Remaining Length is accepted; a 5th length byte is Malformed 0x81")
    func remainingLengthTooLong() throws {
        var decoder = FrameDecoder()
        decoder.append([0x30, 0xFF, 0xFF, 0xFF, 0x80])
        #expect(throws: DecodeError(.malformedPacket, "Remaining Length longer than 4 bytes")) { try decoder.next() }

        var fourBytes = FrameDecoder()
        fourBytes.append([0x30, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(try fourBytes.next() == nil)  // 268,435,455 bytes announced, none there yet
    }

    @Test("[v5 client MQTT-3.2.2-15] [v5 interp] a header announcing more than maximumPacketSize throws 0x95 with only the header given")
    func oversizeRejectedFromHeader() {
        var decoder = FrameDecoder(maximumPacketSize: 100)
        decoder.append([0x30, 0x62])  // 1 + 1 + 98 = 100: fits
        #expect((try? decoder.next()) == .some(nil))
        var tooLarge = FrameDecoder(maximumPacketSize: 100)
        tooLarge.append([0x30, 0x63])  // 1 + 1 + 99 = 101
        #expect { try tooLarge.next() } throws: { ($0 as? DecodeError)?.reason == .packetTooLarge }
        var huge = FrameDecoder(maximumPacketSize: 1024)
        huge.append([0x32, 0x80, 0x80])  // length still incomplete: nothing to judge yet
        #expect((try? huge.next()) == .some(nil))
        huge.append([0x01])  // 16,384 bytes announced
        #expect { try huge.next() } throws: { ($0 as? DecodeError)?.reason == .packetTooLarge }
    }

    @Test("[v5 interp] consuming every byte leaves nothing buffered; later appends still frame")
    func reuseAfterDrain() throws {
        var decoder = FrameDecoder()
        for _ in 0..<3 {
            decoder.append([0xC0, 0x00, 0xD0])
            #expect(try decoder.next() == Frame(header: 0xC0, body: []))
            #expect(try decoder.next() == nil)
            decoder.append([0x00])
            #expect(try decoder.next() == Frame(header: 0xD0, body: []))
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    /// The Remaining Length bytes of `value` (§1.5.5).
    static func remainingLength(_ value: Int) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            bytes.append(UInt8(value % 128) | (value >= 128 ? 0x80 : 0))
            value /= 128
        } while value > 0
        return bytes
    }

    @Test("[v5 interp] a large packet arriving in pieces is held in about its own size, not up to twice it (issue 12)")
    func largePacketReservesItsSize() throws {
        var decoder = FrameDecoder()
        let body = [UInt8](repeating: 0x5A, count: 3 << 20)
        let packet = [UInt8(0x30)] + Self.remainingLength(body.count) + body
        var offset = 0
        while offset < packet.count {
            let end = min(packet.count, offset + 65_536)
            packet[offset..<end].withUnsafeBytes { decoder.append($0) }
            offset = end
        }
        #expect(decoder.storageCapacity < packet.count + packet.count / 8)
        #expect(try decoder.next()?.body == body)
    }

    @Test("[v5 interp] a header alone claiming 256 MB reserves nothing: storage follows what arrived")
    func claimedLengthReservesNothing() throws {
        var decoder = FrameDecoder()
        let header = [UInt8(0x30)] + Self.remainingLength(268_435_455) + [UInt8](repeating: 0, count: 1000)
        header.withUnsafeBytes { decoder.append($0) }
        #expect(decoder.storageCapacity < 64 * 1024)
        #expect(try decoder.next() == nil)
    }

    @Test("[v5 interp] an idle decoder holds no storage: released once every byte is consumed")
    func idleHoldsNoStorage() throws {
        var decoder = FrameDecoder()
        #expect(decoder.storageCapacity == 0)
        let bytes: [UInt8] = [0x30, 0x03, 0x00, 0x01, 0x61, 0xC0]
        bytes.withUnsafeBytes { decoder.append($0) }
        #expect(decoder.storageCapacity > 0)
        _ = try decoder.next()
        #expect(decoder.storageCapacity > 0)  // PINGREQ header still pending
        decoder.append([0x00])
        #expect(try decoder.next() == Frame(header: 0xC0, body: []))
        #expect(decoder.storageCapacity == 0)
    }

    @Test("[v5 interp] many frames interleaved with partial appends survive compaction")
    func compaction() throws {
        var decoder = FrameDecoder()
        var frames = 0
        let packet: [UInt8] = [0x30, 0x03, 0x00, 0x01, 0x61]
        for round in 0..<200 {
            // Rounds alternate 7 and 8 bytes: three packets per pair of rounds.
            decoder.append(round % 2 == 0 ? packet + packet[..<2] : Array(packet[2...]) + packet)
            while let frame = try decoder.next() {
                #expect(frame == Frame(header: 0x30, body: [0x00, 0x01, 0x61]))
                frames += 1
            }
        }
        #expect(frames == 300)
        #expect(decoder.bufferedByteCount == 0)
    }
}

extension FrameDecoderTests {
    @Test("[v5 interp] a large PUBLISH payload decoded from a framer that let go of its buffer is that buffer, not a copy (a large message is held once)")
    func largePayloadNotCopied() throws {
        var decoder = FrameDecoder()
        let payload = [UInt8](repeating: 0x42, count: 1 << 20)
        var packet: [UInt8] = []
        Packet.publish(Publish(qos: .atMostOnce, retain: false, topic: "big", packetID: nil, payload: payload))
            .encode(version: .v311, into: &packet)
        var offset = 0
        while offset < packet.count {
            let end = min(packet.count, offset + 65_536)
            packet[offset..<end].withUnsafeBytes { decoder.append($0) }
            offset = end
        }
        let base = try #require(decoder.storageAddress)
        guard case .publish(let decoded)? = try decoder.nextPacket(version: .v311) else {
            Issue.record("no PUBLISH")
            return
        }
        #expect(decoded.payload == payload)
        #expect(decoded.payload.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == base)
    }
}
