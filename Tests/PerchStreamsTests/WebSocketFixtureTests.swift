import PerchStreams
import Testing

/// Hand-built WebSocket bytes for the tests, written from RFC 6455 independently of the
/// implementation's encoder (the tests below check them against the RFC's own examples).
enum WS {
    enum Op {
        static let continuation: UInt8 = 0x0
        static let text: UInt8 = 0x1
        static let binary: UInt8 = 0x2
        static let close: UInt8 = 0x8
        static let ping: UInt8 = 0x9
        static let pong: UInt8 = 0xA
    }

    /// How the payload length is written: the minimal form, or forced to 7, 16 or 64 bits.
    enum LengthForm { case minimal, seven, sixteen, sixtyFour }

    /// The RFC 6455 5.7 example masking key.
    static let rfcMask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    /// One frame; masked with `mask` unless it is nil. `length` overrides the written length.
    static func frame(
        _ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, mask: [UInt8]? = rfcMask,
        form: LengthForm = .minimal, length: UInt64? = nil
    ) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | rsv << 4 | opcode]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        let count = length ?? UInt64(payload.count)
        let chosen = form != .minimal ? form : count < 126 ? .seven : count < 65536 ? .sixteen : .sixtyFour
        switch chosen {
        case .seven, .minimal: out.append(maskBit | UInt8(count))
        case .sixteen: out += [maskBit | 126, UInt8(count >> 8), UInt8(count & 0xFF)]
        case .sixtyFour:
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((count >> UInt64(shift)) & 0xFF)) }
        }
        guard let mask else { return out + payload }
        return out + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    static func binary(_ payload: [UInt8], fin: Bool = true, mask: [UInt8]? = rfcMask) -> [UInt8] {
        frame(Op.binary, payload, fin: fin, mask: mask)
    }

    /// A close frame's payload: the code, big-endian, then the reason.
    static func closePayload(_ code: UInt16, _ reason: String = "") -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
    }

    /// The close frame a server sends: unmasked, FIN, just the code.
    static func serverClose(_ code: UInt16) -> [UInt8] { [0x88, 0x02, UInt8(code >> 8), UInt8(code & 0xFF)] }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    // MARK: MQTT packets (hand-encoded)

    /// CONNECT, MQTT 3.1.1, clean session, keep alive 60, empty client id.
    static let connect: [UInt8] = [0x10, 0x0C, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3C, 0x00, 0x00]
    static let pingreq: [UInt8] = [0xC0, 0x00]
    /// PUBLISH QoS 0 to "a/b", payload "hello".
    static let publish: [UInt8] = [0x30, 0x0A, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x68, 0x65, 0x6C, 0x6C, 0x6F]
    static let disconnect: [UInt8] = [0xE0, 0x00]

    // MARK: handshake

    static let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="
    static let sampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    static let headers = [
        "Host: broker.local", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: \(sampleKey)",
        "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: mqtt",
    ]

    static func request(_ headers: [String] = headers, line: String = "GET /mqtt HTTP/1.1") -> [UInt8] {
        bytes(([line] + headers).joined(separator: "\r\n") + "\r\n\r\n")
    }

    /// The default headers with the one named `name` replaced by `line` (or dropped for nil).
    static func headers(replacing name: String, with line: String?) -> [String] {
        headers.compactMap { $0.lowercased().hasPrefix(name.lowercased() + ":") ? line : $0 }
    }

    static func switchingProtocols(_ subprotocol: String = "mqtt", accept: String = sampleAccept) -> [UInt8] {
        bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(accept)\r\nSec-WebSocket-Protocol: \(subprotocol)\r\n\r\n")
    }

    /// A server that has answered the default request with 101.
    static func openServer() -> WebSocketServer {
        var server = WebSocketServer()
        var up: [UInt8] = [], down: [UInt8] = []
        let status = server.receive(request(), up: &up, down: &down)
        precondition(status == .open && server.isOpen && down == switchingProtocols() && up.isEmpty)
        return server
    }

    // MARK: feeding

    /// Everything a run produced: MQTT bytes up, bytes down, the first `.close` (else `.open`).
    struct Outcome: Equatable, CustomStringConvertible {
        var up: [UInt8] = []
        var down: [UInt8] = []
        var status: StreamStatus = .open

        var description: String {
            let upText = up.count <= 48 ? "\(up)" : "\(up.count) bytes, starting \(up.prefix(16))"
            return "up \(upText), down \(down.count <= 48 ? "\(down)" : "\(down.count) bytes"), \(status)"
        }

        var isClosed: Bool { if case .close = status { true } else { false } }
        var reason: String { if case .close(let reason) = status { reason } else { "" } }
    }

    static func feed(_ server: inout WebSocketServer, _ chunks: [ArraySlice<UInt8>]) -> Outcome {
        var outcome = Outcome()
        for chunk in chunks {
            let status = chunk.withUnsafeBytes { server.receive($0, up: &outcome.up, down: &outcome.down) }
            if outcome.status == .open { outcome.status = status }
        }
        return outcome
    }

    /// Feeds `stream` to copies of `start` whole, one byte at a time, and in two pieces at every
    /// offset (or at `splits`), expects every run to produce the same, and returns it.
    @discardableResult
    static func splitInvariant(
        _ stream: [UInt8], from start: WebSocketServer = openServer(), splits: [Int]? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Outcome {
        var whole = start
        let expected = feed(&whole, [stream[...]])
        var bytewise = start
        let bytes = feed(&bytewise, stream.indices.map { stream[$0...$0] })
        #expect(bytes == expected, "fed one byte at a time", sourceLocation: sourceLocation)
        for split in splits ?? Array(0...stream.count) {
            var server = start
            let got = feed(&server, [stream[..<split], stream[split...]])
            if got != expected {
                Issue.record("split at \(split): \(got), whole: \(expected)", sourceLocation: sourceLocation)
                break
            }
        }
        return expected
    }
}

/// The fixtures above against RFC 6455 5.7's example frames, so the tests built on them
/// check the implementation against the RFC and not against itself.
@Suite("WebSocket fixtures")
struct WebSocketFixtureTests {
    @Test("[v5 interp] the frame builder reproduces the examples of RFC 6455 5.7")
    func rfcExamples() {
        let hello = WS.bytes("Hello")
        #expect(WS.frame(WS.Op.text, hello, mask: nil) == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(WS.frame(WS.Op.text, hello) == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        #expect(WS.frame(WS.Op.text, WS.bytes("Hel"), fin: false, mask: nil) == [0x01, 0x03, 0x48, 0x65, 0x6C])
        #expect(WS.frame(WS.Op.continuation, WS.bytes("lo"), mask: nil) == [0x80, 0x02, 0x6C, 0x6F])
        #expect(WS.frame(WS.Op.ping, hello, mask: nil) == [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(WS.frame(WS.Op.pong, hello) == [0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        let k256 = WS.frame(WS.Op.binary, [UInt8](repeating: 7, count: 256), mask: nil)
        #expect(Array(k256.prefix(4)) == [0x82, 0x7E, 0x01, 0x00] && k256.count == 260)
        let k64 = WS.frame(WS.Op.binary, [UInt8](repeating: 7, count: 65536), mask: nil)
        #expect(Array(k64.prefix(10)) == [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00] && k64.count == 65546)
    }

    @Test("[v5 interp] the length forms can be forced (non-minimal encodings)")
    func forcedLengthForms() {
        #expect(WS.frame(WS.Op.binary, [1], mask: nil, form: .sixteen) == [0x82, 0x7E, 0x00, 0x01, 0x01])
        #expect(WS.frame(WS.Op.binary, [1], mask: nil, form: .sixtyFour) == [0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 1, 1])
        #expect(WS.frame(WS.Op.binary, [], mask: nil, length: 1 << 63) == [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("[v5 interp] the hand-encoded MQTT packets carry their Remaining Length")
    func mqttPackets() {
        for packet in [WS.connect, WS.pingreq, WS.publish, WS.disconnect] {
            #expect(Int(packet[1]) == packet.count - 2)
        }
    }
}
