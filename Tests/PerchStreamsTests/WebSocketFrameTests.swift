import PerchStreams
import PerchTestKit
import Testing

/// Client frames into an open server: the MQTT byte stream is the concatenated binary
/// payloads, whatever the framing and however the bytes are split across reads.
@Suite("WebSocket frames in")
struct WebSocketFrameTests {
    static let masks: [[UInt8]] = [WS.rfcMask, [0, 0, 0, 0], [0xFF, 0xFF, 0xFF, 0xFF], [0x01, 0x80, 0x7F, 0xFE]]

    static func payload(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    @Test("[v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-2] one MQTT packet in one masked binary frame, with various keys", arguments: masks)
    func onePacket(mask: [UInt8]) {
        let outcome = WS.splitInvariant(WS.binary(WS.connect, mask: mask))
        #expect(outcome == WS.Outcome(up: WS.connect, down: [], status: .open))
    }

    @Test("[v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-2] several MQTT packets in one frame")
    func severalPacketsInOneFrame() {
        let packets = WS.connect + WS.publish + WS.pingreq + WS.publish + WS.disconnect
        #expect(WS.splitInvariant(WS.binary(packets)) == WS.Outcome(up: packets, down: [], status: .open))
    }

    @Test("[v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-2] one MQTT packet across several frames, and frames cutting packets anywhere")
    func packetAcrossFrames() {
        let packets = WS.connect + WS.publish + WS.pingreq
        var random = SplitMix64(seed: 7)
        for _ in 0..<20 {
            var frames: [UInt8] = []
            var start = 0
            while start < packets.count {
                let end = min(packets.count, start + Int(random.next() % 9))
                let mask = Self.masks[Int(random.next() % 4)]
                frames += WS.binary(Array(packets[start..<end]), mask: mask)
                start = end
            }
            #expect(WS.splitInvariant(frames) == WS.Outcome(up: packets, down: [], status: .open))
        }
    }

    @Test("[v5 interp] payload lengths at the 7/16-bit boundaries: 0, 1, 125, 126, 127, 200, 65535 (RFC 6455 5.2)",
          arguments: [0, 1, 125, 126, 127, 200, 65535])
    func lengthBoundaries(count: Int) {
        let data = Self.payload(count)
        let frame = WS.binary(data, mask: [0x12, 0x34, 0x56, 0x78])
        let splits = count > 300 ? Array(0...20) + [frame.count / 2, frame.count - 1, frame.count] : nil
        #expect(WS.splitInvariant(frame, splits: splits) == WS.Outcome(up: data, down: [], status: .open))
    }

    @Test("[v5 interp] 64-bit lengths: 65536 and 70000 bytes (RFC 6455 5.2)", arguments: [65536, 70000])
    func sixtyFourBitLength(count: Int) {
        let data = Self.payload(count, seed: UInt64(count))
        let frame = WS.binary(data)
        #expect(Array(frame[1...9]) == [0xFF, 0, 0, 0, 0, 0, UInt8(count >> 16), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)])
        let splits = Array(0...16) + [1001, 1002, 1003, frame.count / 2, frame.count - 1, frame.count]
        #expect(WS.splitInvariant(frame, splits: splits) == WS.Outcome(up: data, down: [], status: .open))
    }

    @Test("[v5 interp] non-minimal length encodings are accepted (RFC 6455 5.2 asks senders, not receivers)",
          arguments: [WS.LengthForm.sixteen, .sixtyFour])
    func nonMinimalLengths(form: WS.LengthForm) {
        let frames = WS.frame(WS.Op.binary, WS.publish, form: form) + WS.frame(WS.Op.binary, [], form: form)
            + WS.frame(WS.Op.ping, [9])
        #expect(WS.splitInvariant(frames) == WS.Outcome(up: WS.publish, down: [0x8A, 0x01, 9], status: .open))
    }

    @Test("[v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-2] a fragmented binary message with interleaved pings streams up in order (RFC 6455 5.4)")
    func fragmentedWithPings() {
        let packets = WS.connect + WS.publish
        let frames = WS.binary(Array(packets[0..<5]), fin: false)
            + WS.frame(WS.Op.ping, WS.bytes("one"), mask: [9, 8, 7, 6])
            + WS.frame(WS.Op.continuation, Array(packets[5..<9]), fin: false, mask: [1, 2, 3, 4])
            + WS.frame(WS.Op.pong, WS.bytes("ignored"))
            + WS.frame(WS.Op.continuation, [], fin: false)
            + WS.frame(WS.Op.ping, [])
            + WS.frame(WS.Op.continuation, Array(packets[9...]))
            + WS.binary(WS.pingreq)
        let pongs: [UInt8] = [0x8A, 0x03] + WS.bytes("one") + [0x8A, 0x00]
        #expect(WS.splitInvariant(frames) == WS.Outcome(up: packets + WS.pingreq, down: pongs, status: .open))
    }

    @Test("[v5 interp] empty frames carry nothing: empty binary, empty first fragment, empty last fragment")
    func emptyFrames() {
        let frames = WS.binary([]) + WS.binary([], fin: false) + WS.frame(WS.Op.continuation, WS.pingreq)
            + WS.binary(WS.publish, fin: false) + WS.frame(WS.Op.continuation, []) + WS.binary([], mask: [0, 0, 0, 0])
        #expect(WS.splitInvariant(frames) == WS.Outcome(up: WS.pingreq + WS.publish, down: [], status: .open))
    }

    @Test("[v5 interp] a ping gets a pong with the same payload, up to 125 bytes; a pong is ignored (RFC 6455 5.5.2, 5.5.3)",
          arguments: [0, 1, 4, 5, 124, 125])
    func pingPong(count: Int) {
        let data = Self.payload(count, seed: 99)
        let frames = WS.frame(WS.Op.ping, data, mask: [0xA5, 0x5A, 0x00, 0xFF]) + WS.frame(WS.Op.pong, data)
        #expect(WS.splitInvariant(frames) == WS.Outcome(up: [], down: [0x8A, UInt8(count)] + data, status: .open))
    }

    @Test("[v5 interp] payload bytes go up as they arrive, before their frame is complete")
    func streamsPayload() {
        var server = WS.openServer()
        var up: [UInt8] = [], down: [UInt8] = []
        let data = Self.payload(1000)
        let frame = WS.binary(data)  // header: 2 + 2 + 4 bytes
        #expect(server.receive(Array(frame[..<108]), up: &up, down: &down) == .open)
        #expect(up == Array(data[..<100]) && server.bufferedByteCount == 0)
        #expect(server.receive(Array(frame[108..<901]), up: &up, down: &down) == .open)
        #expect(up == Array(data[..<893]))
        #expect(server.receive(Array(frame[901...]), up: &up, down: &down) == .open)
        #expect(up == data && down.isEmpty)
    }

    @Test("[v5 interp] only partial headers and control frames are held between reads")
    func bufferedBytes() {
        var server = WS.openServer()
        var up: [UInt8] = [], down: [UInt8] = []
        let frame = WS.frame(WS.Op.binary, [1, 2, 3], form: .sixtyFour)  // 14-byte header
        for index in 0..<14 {
            _ = server.receive([frame[index]], up: &up, down: &down)
            #expect(server.bufferedByteCount == (index == 13 ? 0 : index + 1))
        }
        _ = server.receive(Array(frame[14...]), up: &up, down: &down)
        #expect(up == [1, 2, 3] && server.bufferedByteCount == 0)
        let ping = WS.frame(WS.Op.ping, [1, 2, 3, 4])
        _ = server.receive(Array(ping.prefix(8)), up: &up, down: &down)
        #expect(server.bufferedByteCount == 2)
        _ = server.receive(Array(ping.suffix(2)), up: &up, down: &down)
        #expect(server.bufferedByteCount == 0 && down == [0x8A, 0x04, 1, 2, 3, 4])
    }

    @Test("[v5 interp] the server state stays small: one connection's layer is a few words")
    func layout() {
        #expect(MemoryLayout<WebSocketServer>.size <= 96, "\(MemoryLayout<WebSocketServer>.size) bytes")
    }

    @Test("[v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-2] a long mixed stream fed in random chunks gives the same MQTT bytes")
    func randomChunks() {
        var random = SplitMix64(seed: 2024)
        var stream: [UInt8] = []
        var expectedUp: [UInt8] = [], expectedDown: [UInt8] = []
        for index in 0..<200 {
            let data = Self.payload(Int(random.next() % 300), seed: UInt64(index))
            let mask = (0..<4).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if random.next() % 5 == 0 {
                let ping = Array(data.prefix(125))
                stream += WS.frame(WS.Op.ping, ping, mask: mask)
                expectedDown += [0x8A, UInt8(ping.count)] + ping
            } else {
                stream += WS.binary(data, mask: mask)
                expectedUp += data
            }
        }
        for round in 0..<5 {
            var server = WS.openServer()
            var chunks: [ArraySlice<UInt8>] = []
            var start = 0
            while start < stream.count {
                let end = min(stream.count, start + 1 + Int(random.next() % UInt64(round == 0 ? 3 : 700)))
                chunks.append(stream[start..<end])
                start = end
            }
            #expect(WS.feed(&server, chunks) == WS.Outcome(up: expectedUp, down: expectedDown, status: .open), "round \(round)")
        }
    }
}
