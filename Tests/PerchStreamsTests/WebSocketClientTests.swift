import PerchStreams
import PerchTestKit
import Testing

/// WebSocketClient alone, and against WebSocketServer in memory.
@Suite("WebSocket client")
struct WebSocketClientTests {
    /// The RFC 6455 sample nonce, "the sample nonce".
    static let sampleKey = Array("the sample nonce".utf8)

    static func feed(_ client: inout WebSocketClient, _ bytes: [UInt8]) -> WS.Outcome {
        var outcome = WS.Outcome()
        outcome.status = client.receive(bytes, up: &outcome.up, down: &outcome.down)
        return outcome
    }

    static func openClient() -> WebSocketClient {
        var client = WebSocketClient(host: "broker.local", key: sampleKey)
        precondition(feed(&client, WS.switchingProtocols()).status == .open && client.isOpen)
        return client
    }

    /// Unmasks a client frame built by the client (7- or 16-bit length), checking its header.
    static func unmaskFrame(_ frame: [UInt8]) -> (opcode: UInt8, payload: [UInt8])? {
        guard frame.count >= 6, frame[0] & 0xF0 == 0x80, frame[1] & 0x80 != 0 else { return nil }
        let short = Int(frame[1] & 0x7F)
        let (length, start) = short == 126 ? (Int(frame[2]) << 8 | Int(frame[3]), 4) : (short, 2)
        guard short < 127, frame.count == start + 4 + length else { return nil }
        let mask = Array(frame[start..<(start + 4)])
        return (frame[0] & 0x0F, frame[(start + 4)...].enumerated().map { $0.element ^ mask[$0.offset % 4] })
    }

    @Test("[v5 interp] the handshake request carries the key in base64 and the subprotocol (RFC 6455 4.1)")
    func request() {
        let client = WebSocketClient(host: "broker.local:8080", path: "/ws", subprotocol: "mqttv3.1", key: Self.sampleKey)
        #expect(String(decoding: client.handshakeRequest(), as: UTF8.self) == "GET /ws HTTP/1.1\r\nHost: broker.local:8080\r\n"
            + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqttv3.1\r\n\r\n")
        #expect(!client.isOpen)
    }

    @Test("[v5 MQTT-6.0.0-4] [v311 MQTT-6.0.0-4] the server accepts the client's request and the client accepts the 101")
    func handshake() {
        var server = WebSocketServer()
        var client = WebSocketClient(host: "broker.local", key: Array(0..<16))
        var up: [UInt8] = [], toClient: [UInt8] = []
        #expect(server.receive(client.handshakeRequest(), up: &up, down: &toClient) == .open && server.subprotocol == "mqtt")
        #expect(Self.feed(&client, toClient) == WS.Outcome(up: [], down: [], status: .open) && client.isOpen)
    }

    @Test("[v5 interp] the client checks the 101: status, Upgrade, Connection, Sec-WebSocket-Accept, subprotocol", arguments: [
        ("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "server answered \"HTTP/1.1 400 Bad Request\""),
        ("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
         "101 without Upgrade: websocket"),
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
         "101 without Connection: Upgrade"),
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
         "Sec-WebSocket-Accept is not s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
         "server chose subprotocol [], not mqtt"),
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            + "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", "extension"),
        ("\u{10}\u{0}", "byte 0x10 at offset 0"),
        ("SSH-2.0-OpenSSH\r\n", "not an HTTP status line"),
    ])
    func badResponse(response: String, reason: String) {
        var client = WebSocketClient(host: "broker.local", key: Self.sampleKey)
        let outcome = Self.feed(&client, WS.bytes(response))
        #expect(outcome.isClosed && outcome.reason.contains(reason), "\(outcome.reason)")
        #expect(outcome.down.isEmpty && outcome.up.isEmpty && !client.isOpen && client.isClosed)
    }

    @Test("[v5 interp] a refused handshake (no MQTT subprotocol) fails on the client side with the server's status")
    func refusedByServer() {
        var server = WebSocketServer()
        var client = WebSocketClient(host: "h", subprotocol: "chat", key: Self.sampleKey)
        var up: [UInt8] = [], toClient: [UInt8] = []
        #expect(server.receive(client.handshakeRequest(), up: &up, down: &toClient) != .open)
        #expect(Self.feed(&client, toClient).reason.contains("server answered \"HTTP/1.1 400 Bad Request\""))
    }

    @Test("[v5 interp] client frames are masked binary frames with FIN, keys differing frame to frame (RFC 6455 5.3)")
    func clientMasks() {
        var client = Self.openClient()
        var first: [UInt8] = [], second: [UInt8] = []
        client.send(WS.connect, down: &first)
        client.send(WS.connect, down: &second)
        #expect(Self.unmaskFrame(first)?.payload == WS.connect && Self.unmaskFrame(first)?.opcode == WS.Op.binary)
        #expect(Self.unmaskFrame(second)?.payload == WS.connect && first != second)
        var big: [UInt8] = []
        client.send([UInt8](repeating: 0x55, count: 300), down: &big)
        #expect(Self.unmaskFrame(big)?.payload == [UInt8](repeating: 0x55, count: 300))
        var none: [UInt8] = []
        client.send([], down: &none)
        var fresh = WebSocketClient(host: "h", key: Self.sampleKey)
        fresh.send(WS.connect, down: &none)
        #expect(none.isEmpty)
    }

    @Test("[v5 interp] the client reads unmasked server frames, answers pings with masked pongs, rejects masked frames")
    func clientReads() {
        var client = Self.openClient()
        let fromServer = WS.binary(WS.connect, mask: nil) + WS.frame(WS.Op.ping, [1, 2, 3], mask: nil) + WS.binary(WS.pingreq, mask: nil)
        let outcome = Self.feed(&client, fromServer)
        #expect(outcome.up == WS.connect + WS.pingreq && outcome.status == .open)
        #expect(Self.unmaskFrame(outcome.down).map { [$0.opcode] + $0.payload } == [WS.Op.pong, 1, 2, 3])
        let masked = Self.feed(&client, WS.binary(WS.publish))
        #expect(masked.isClosed && masked.reason.contains("masked server frame") && masked.up.isEmpty)
        #expect(Self.unmaskFrame(masked.down).map { [$0.opcode] + $0.payload } == [WS.Op.close, 0x03, 0xEA])
    }

    @Test("[v5 interp] frames in the same read as the 101 are processed by the client")
    func framesAfterResponse() {
        var client = WebSocketClient(host: "broker.local", key: Self.sampleKey)
        let outcome = Self.feed(&client, WS.switchingProtocols() + WS.binary(WS.publish, mask: nil))
        #expect(outcome == WS.Outcome(up: WS.publish, down: [], status: .open))
    }

    @Test("[v5 interp] the closing handshake both ways: the closer's code is echoed (RFC 6455 5.5.1)")
    func closingHandshake() {
        var server = WS.openServer()
        var client = Self.openClient()
        var toServer: [UInt8] = [], toClient: [UInt8] = [], up: [UInt8] = []
        client.close(code: .goingAway, down: &toServer)
        #expect(server.receive(toServer, up: &up, down: &toClient) == .close(reason: "peer sent WebSocket close 1001"))
        #expect(toClient == WS.serverClose(1001))
        #expect(Self.feed(&client, toClient) == WS.Outcome(up: [], down: [], status: .close(reason: "WebSocket connection already closed")))

        var server2 = WS.openServer()
        var client2 = Self.openClient()
        toClient = []
        server2.close(code: .normal, down: &toClient)
        let echoed = Self.feed(&client2, toClient)
        #expect(echoed.status == .close(reason: "peer sent WebSocket close 1000"))
        #expect(Self.unmaskFrame(echoed.down).map { [$0.opcode] + $0.payload } == [WS.Op.close, 0x03, 0xE8])
    }

    @Test("[v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-2] a seeded random exchange both ways, split at random offsets, arrives intact")
    func randomRoundTrip() {
        for seed in UInt64(1)...20 {
            var random = SplitMix64(seed: seed)
            let key = (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            var server = WebSocketServer()
            var client = WebSocketClient(host: "broker.local", key: key)
            var toServer = client.handshakeRequest(), toClient: [UInt8] = []
            var serverUp: [UInt8] = [], clientUp: [UInt8] = [], sentUp: [UInt8] = [], sentDown: [UInt8] = []
            for _ in 0..<30 {
                let message = (0..<Int(random.next() % 400)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                if client.isOpen {
                    client.send(message, down: &toServer)
                    sentUp += message
                    if random.next() % 4 == 0 { client.ping(Array(message.prefix(125)), down: &toServer) }
                }
                if server.isOpen {
                    server.send(Array(message.reversed()), down: &toClient)
                    sentDown += message.reversed()
                }
                #expect(Self.pump(&toServer, into: &server, up: &serverUp, back: &toClient, random: &random) == .open)
                #expect(Self.pump(&toClient, into: &client, up: &clientUp, back: &toServer, random: &random) == .open)
            }
            #expect(Self.pump(&toServer, into: &server, up: &serverUp, back: &toClient, random: &random) == .open)
            #expect(Self.pump(&toClient, into: &client, up: &clientUp, back: &toServer, random: &random) == .open)
            #expect(server.isOpen && client.isOpen && serverUp == sentUp && clientUp == sentDown, "seed \(seed)")
            #expect(server.bufferedByteCount == 0)
        }
    }

    /// Delivers all of `bytes` to the server in 1 to 3 random pieces; what it answers goes to `back`.
    static func pump(_ bytes: inout [UInt8], into server: inout WebSocketServer, up: inout [UInt8], back: inout [UInt8],
                     random: inout SplitMix64) -> StreamStatus {
        pieces(&bytes, &random).reduce(StreamStatus.open) { status, piece in
            let next = server.receive(piece, up: &up, down: &back)
            return status == .open ? next : status
        }
    }

    static func pump(_ bytes: inout [UInt8], into client: inout WebSocketClient, up: inout [UInt8], back: inout [UInt8],
                     random: inout SplitMix64) -> StreamStatus {
        pieces(&bytes, &random).reduce(StreamStatus.open) { status, piece in
            let next = client.receive(piece, up: &up, down: &back)
            return status == .open ? next : status
        }
    }

    /// Takes `bytes`, leaving it empty, cut at up to two random offsets.
    static func pieces(_ bytes: inout [UInt8], _ random: inout SplitMix64) -> [[UInt8]] {
        defer { bytes = [] }
        guard bytes.count > 1 else { return [bytes] }
        let cuts = [0, Int(random.next() % UInt64(bytes.count)), Int(random.next() % UInt64(bytes.count)), bytes.count].sorted()
        return zip(cuts, cuts.dropFirst()).map { Array(bytes[$0..<$1]) }
    }
}
