import PerchStreams
import Testing

/// The server's opening handshake (RFC 6455 4.2, MQTT chapter 6).
@Suite("WebSocket handshake")
struct WebSocketHandshakeTests {
    /// Feeds one request to a fresh server.
    static func answer(_ request: [UInt8], maxHandshakeBytes: Int = 4096) -> (WebSocketServer, WS.Outcome) {
        var server = WebSocketServer(maxHandshakeBytes: maxHandshakeBytes)
        let outcome = WS.feed(&server, [request[...]])
        return (server, outcome)
    }

    /// The HTTP status line of a response.
    static func statusLine(_ down: [UInt8]) -> String {
        String(decoding: down.prefix { $0 != 0x0D }, as: UTF8.self)
    }

    /// Checks a refusal: status line, Content-Length matching the body, the hint in the body,
    /// `.close` naming `reason`, and a server that stays refused and silent.
    static func expectRefusal(
        _ request: [UInt8], status: String, reason: String, maxHandshakeBytes: Int = 4096,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var (server, outcome) = answer(request, maxHandshakeBytes: maxHandshakeBytes)
        let text = String(decoding: outcome.down, as: UTF8.self)
        #expect(statusLine(outcome.down) == "HTTP/1.1 \(status)", sourceLocation: sourceLocation)
        #expect(outcome.isClosed && outcome.reason.contains(reason), "\(outcome.reason)", sourceLocation: sourceLocation)
        #expect(outcome.up.isEmpty && !server.isOpen && server.isClosed, sourceLocation: sourceLocation)
        let parts = text.split(separator: "\r\n\r\n", maxSplits: 1).map(String.init)
        let body = parts.count == 2 ? parts[1] : ""
        #expect(parts.first?.contains("Content-Type: text/plain; charset=utf-8") == true, sourceLocation: sourceLocation)
        #expect(parts.first?.contains("Content-Length: \(body.utf8.count)\r\n") == true, sourceLocation: sourceLocation)
        #expect(body.contains(reason), sourceLocation: sourceLocation)
        #expect(body.hasSuffix("this port speaks MQTT over WebSocket: send an Upgrade request with Sec-WebSocket-Protocol: mqtt\n"),
                sourceLocation: sourceLocation)
        let later = WS.feed(&server, [WS.request()[...]])
        #expect(later.down.isEmpty && later.up.isEmpty && later.isClosed, sourceLocation: sourceLocation)
    }

    // MARK: accepted

    @Test("[v5 MQTT-6.0.0-4] [v311 MQTT-6.0.0-4] the RFC 6455 sample key gets its accept value and subprotocol mqtt (RFC 6455 1.3)")
    func sampleKey() {
        var server = WebSocketServer()
        #expect(!server.isOpen && server.subprotocol == nil)
        let outcome = WS.feed(&server, [WS.request()[...]])
        #expect(outcome == WS.Outcome(up: [], down: WS.switchingProtocols(), status: .open))
        #expect(String(decoding: outcome.down, as: UTF8.self).contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
        #expect(server.isOpen && !server.isClosed && server.subprotocol == "mqtt")
        #expect(server.bufferedByteCount == 0)
    }

    @Test("[v5 interp] other keys get base64(SHA-1(key + GUID)): known pairs (RFC 6455 4.2.2)")
    func otherKeys() {
        // Pairs computed independently (Python hashlib/base64).
        let pairs = [("x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk="),
                     ("AQIDBAUGBwgJCgsMDQ4PEA==", "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=")]
        for (key, accept) in pairs {
            let (_, outcome) = Self.answer(WS.request(WS.headers(replacing: "Sec-WebSocket-Key", with: "Sec-WebSocket-Key: \(key)")))
            #expect(outcome.down == WS.switchingProtocols(accept: accept), "key \(key)")
        }
    }

    @Test("[v5 MQTT-6.0.0-4] [v311 MQTT-6.0.0-4] subprotocol selection: mqtt when offered, else mqttv3.1", arguments: [
        ("mqtt", "mqtt"), ("mqttv3.1", "mqttv3.1"), ("mqttv3.1, mqtt", "mqtt"), ("mqtt,mqttv3.1", "mqtt"),
        ("wamp, mqttv3.1", "mqttv3.1"), ("  chat ,  mqtt  ", "mqtt"),
    ])
    func selection(offered: String, chosen: String) {
        let (server, outcome) = Self.answer(WS.request(WS.headers(replacing: "Sec-WebSocket-Protocol", with: "Sec-WebSocket-Protocol: \(offered)")))
        #expect(outcome.down == WS.switchingProtocols(chosen) && outcome.status == .open)
        #expect(server.subprotocol == chosen)
    }

    @Test("[v5 interp] the subprotocol list may span several header lines")
    func protocolsOnSeveralLines() {
        let headers = WS.headers(replacing: "Sec-WebSocket-Protocol", with: "Sec-WebSocket-Protocol: chat") + ["Sec-WebSocket-Protocol: mqtt"]
        let (server, outcome) = Self.answer(WS.request(headers))
        #expect(outcome.down == WS.switchingProtocols("mqtt") && server.subprotocol == "mqtt")
    }

    @Test("[v5 client MQTT-6.0.0-3] [v311 client MQTT-6.0.0-3] no MQTT subprotocol offered gets 400", arguments: [
        "Sec-WebSocket-Protocol: wamp", "Sec-WebSocket-Protocol: MQTT", "Sec-WebSocket-Protocol: mqttv5", "Sec-WebSocket-Protocol: ,",
    ])
    func noMQTTProtocol(line: String) {
        Self.expectRefusal(WS.request(WS.headers(replacing: "Sec-WebSocket-Protocol", with: line)),
                           status: "400 Bad Request", reason: "no MQTT subprotocol offered")
    }

    @Test("[v5 client MQTT-6.0.0-3] [v311 client MQTT-6.0.0-3] no Sec-WebSocket-Protocol at all gets 400")
    func protocolMissing() {
        Self.expectRefusal(WS.request(WS.headers(replacing: "Sec-WebSocket-Protocol", with: nil)),
                           status: "400 Bad Request", reason: "no MQTT subprotocol offered (Sec-WebSocket-Protocol: none)")
    }

    @Test("[v5 interp] header names and the upgrade tokens are case-insensitive; Connection is a list (RFC 6455 4.2.1)")
    func caseInsensitive() {
        let headers = ["host: b", "UPGRADE: WebSocket", "connection: keep-alive, Upgrade", "sec-websocket-key: \(WS.sampleKey)",
                       "SEC-WEBSOCKET-VERSION:13", "Sec-Websocket-Protocol:\tmqtt\t", "User-Agent: test", "Origin: http://x"]
        let (server, outcome) = Self.answer(WS.request(headers, line: "GET /any/path?x=1 HTTP/1.1"))
        #expect(outcome.down == WS.switchingProtocols() && server.isOpen)
    }

    @Test("[v5 interp] Host is not required; extensions offered are not negotiated")
    func lenientHeaders() {
        let headers = WS.headers(replacing: "Host", with: "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
        let (server, outcome) = Self.answer(WS.request(headers))
        #expect(outcome.down == WS.switchingProtocols() && server.isOpen)
    }

    // MARK: refused

    @Test("[v5 interp] a plain GET (no upgrade) gets 400 explaining the port")
    func plainGet() {
        Self.expectRefusal(WS.bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), status: "400 Bad Request", reason: "not a WebSocket upgrade")
        Self.expectRefusal(WS.request(WS.headers(replacing: "Upgrade", with: "Upgrade: h2c")), status: "400 Bad Request",
                           reason: "not a WebSocket upgrade (no Upgrade: websocket)")
    }

    @Test("[v5 interp] a Connection header without the upgrade token gets 400")
    func connectionWithoutUpgrade() {
        Self.expectRefusal(WS.request(WS.headers(replacing: "Connection", with: "Connection: keep-alive")),
                           status: "400 Bad Request", reason: "Connection header without the upgrade token")
        Self.expectRefusal(WS.request(WS.headers(replacing: "Connection", with: nil)),
                           status: "400 Bad Request", reason: "Connection header without the upgrade token")
    }

    @Test("[v5 interp] POST and HTTP/1.0 get 400")
    func methodAndVersion() {
        Self.expectRefusal(WS.request(line: "POST /mqtt HTTP/1.1"), status: "400 Bad Request", reason: "method POST")
        Self.expectRefusal(WS.request(line: "GET /mqtt HTTP/1.0"), status: "400 Bad Request", reason: "HTTP/1.0 request")
    }

    @Test("[v5 interp] a missing or unsupported Sec-WebSocket-Version gets 426 naming version 13 (RFC 6455 4.4)", arguments: [
        ("Sec-WebSocket-Version: 8", "Sec-WebSocket-Version 8: only 13 is supported"),
        ("Sec-WebSocket-Version: 13, 8", "Sec-WebSocket-Version 13, 8"),
        (nil, "no Sec-WebSocket-Version: only 13 is supported"),
    ] as [(String?, String)])
    func badVersion(line: String?, reason: String) {
        let request = WS.request(WS.headers(replacing: "Sec-WebSocket-Version", with: line))
        Self.expectRefusal(request, status: "426 Upgrade Required", reason: reason)
        let (_, outcome) = Self.answer(request)
        #expect(String(decoding: outcome.down, as: UTF8.self).contains("\r\nSec-WebSocket-Version: 13\r\n"))
    }

    @Test("[v5 interp] a missing, repeated or malformed Sec-WebSocket-Key gets 400 (RFC 6455 4.2.1)", arguments: [
        (nil, "no Sec-WebSocket-Key"),
        ("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ", "is not base64 of 16 bytes"),
        ("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=", "is not base64 of 16 bytes"),
        ("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==", "is not base64 of 16 bytes"),
        ("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2!jZQ==", "is not base64 of 16 bytes"),
        ("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2=jZQ==", "is not base64 of 16 bytes"),
        ("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZXg=", "is not base64 of 16 bytes"),
        ("Sec-WebSocket-Key:", "is not base64 of 16 bytes"),
    ] as [(String?, String)])
    func badKey(line: String?, reason: String) {
        Self.expectRefusal(WS.request(WS.headers(replacing: "Sec-WebSocket-Key", with: line)), status: "400 Bad Request", reason: reason)
    }

    @Test("[v5 interp] two Sec-WebSocket-Key lines get 400")
    func repeatedKey() {
        Self.expectRefusal(WS.request(WS.headers + ["Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA=="]),
                           status: "400 Bad Request", reason: "more than one Sec-WebSocket-Key")
    }

    @Test("[v5 interp] malformed header lines get 400: folding, space before the colon, no colon", arguments: [
        " folded", "Bad Name: x", "Upgrade : websocket", "NoColonHere", ": empty name",
    ])
    func malformedHeaderLine(line: String) {
        Self.expectRefusal(WS.request(WS.headers + [line]), status: "400 Bad Request", reason: "malformed header line")
    }

    @Test("[v5 interp] an MQTT CONNECT sent to a WebSocket port gets 400 at its first byte, without waiting for a head end")
    func mqttConnect() {
        for prefix in [WS.connect, [0x10]] {
            Self.expectRefusal(prefix, status: "400 Bad Request", reason: "byte 0x10 at offset 0 is not part of an HTTP head")
        }
    }

    @Test("[v5 interp] other bytes that cannot start an HTTP head get 400 as soon as they arrive", arguments: [
        ([0x16, 0x03, 0x01], "byte 0x16 at offset 0"),  // a TLS ClientHello on a plain port
        (Array("GET / HTTP/1.1\nHost".utf8), "LF without CR at offset 14"),
        (Array("GET / HTTP/1.1\rHost".utf8), "CR not followed by LF at offset 14"),
        (Array("hello\r\n".utf8), "not an HTTP request line: \"hello\""),
        (Array("GET /\r\n".utf8), "not an HTTP request line"),
        (Array("GET  / HTTP/1.1\r\n".utf8), "not an HTTP request line"),
        (Array("GET / HTTP/1.1x\r\n".utf8), "not an HTTP request line"),
        (Array("\r\n".utf8), "not an HTTP request line"),
        (Array("GET / HTTP/1.1\r\nX: \u{7F}".utf8), "byte 0x7f"),
    ] as [([UInt8], String)])
    func garbage(bytes: [UInt8], reason: String) {
        Self.expectRefusal(bytes, status: "400 Bad Request", reason: reason)
    }

    @Test("[v5 interp] a head larger than maxHandshakeBytes gets 431; one that exactly fits is accepted")
    func oversizedHead() {
        let request = WS.request()
        let (fits, outcome) = Self.answer(request, maxHandshakeBytes: request.count)
        #expect(fits.isOpen && outcome.down == WS.switchingProtocols())
        let (_, withFrame) = Self.answer(request + WS.binary(WS.connect), maxHandshakeBytes: request.count)
        #expect(withFrame == WS.Outcome(up: WS.connect, down: WS.switchingProtocols(), status: .open))
        Self.expectRefusal(request, status: "431 Request Header Fields Too Large", reason: "HTTP request head over \(request.count - 1) bytes",
                           maxHandshakeBytes: request.count - 1)
        let padded = WS.request(WS.headers + ["X-Padding: " + String(repeating: "a", count: 5000)])
        Self.expectRefusal(padded, status: "431 Request Header Fields Too Large", reason: "HTTP request head over 4096 bytes")
    }

    @Test("[v5 interp] an incomplete head never longer than the limit is held, then refused at the limit byte")
    func headHeldUntilLimit() {
        var server = WebSocketServer(maxHandshakeBytes: 100)
        var up: [UInt8] = [], down: [UInt8] = []
        let start = WS.bytes("GET / HTTP/1.1\r\nX: ")
        #expect(server.receive(start, up: &up, down: &down) == .open && server.bufferedByteCount == start.count)
        let filler = [UInt8](repeating: UInt8(ascii: "a"), count: 100 - start.count - 1)
        #expect(server.receive(filler, up: &up, down: &down) == .open && down.isEmpty && server.bufferedByteCount == 99)
        #expect(server.receive([UInt8(ascii: "a")], up: &up, down: &down) != .open)
        #expect(Self.statusLine(down) == "HTTP/1.1 431 Request Header Fields Too Large" && server.bufferedByteCount == 0)
    }

    // MARK: splitting

    @Test("[v5 MQTT-6.0.0-4] [v311 MQTT-6.0.0-4] the upgrade request split at every offset gets the same 101")
    func headSplitEverywhere() {
        let outcome = WS.splitInvariant(WS.request(), from: WebSocketServer())
        #expect(outcome == WS.Outcome(up: [], down: WS.switchingProtocols(), status: .open))
    }

    @Test("[v5 interp] a refused request split at every offset gets the same refusal")
    func refusalSplitEverywhere() {
        let outcome = WS.splitInvariant(WS.request(line: "POST /mqtt HTTP/1.1"), from: WebSocketServer())
        #expect(Self.statusLine(outcome.down) == "HTTP/1.1 400 Bad Request" && outcome.isClosed)
        let garbage = WS.splitInvariant(WS.bytes("hello world\r\nmore"), from: WebSocketServer())
        #expect(Self.statusLine(garbage.down) == "HTTP/1.1 400 Bad Request" && garbage.reason.contains("hello world"))
    }

    @Test("[v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-2] frames in the same read as the head are processed, at every split")
    func framesAfterHead() {
        let frames = WS.binary(WS.connect + WS.pingreq.prefix(1)) + WS.frame(WS.Op.ping, [1, 2]) + WS.binary(Array(WS.pingreq.suffix(1)))
        let outcome = WS.splitInvariant(WS.request() + frames, from: WebSocketServer())
        #expect(outcome == WS.Outcome(up: WS.connect + WS.pingreq, down: WS.switchingProtocols() + [0x8A, 0x02, 1, 2], status: .open))
    }

    @Test("[v5 interp] the handshake buffer is released once open and after a refusal")
    func buffersReleased() {
        var server = WebSocketServer()
        var up: [UInt8] = [], down: [UInt8] = []
        let request = WS.request()
        #expect(server.receive(Array(request.dropLast(2)), up: &up, down: &down) == .open)
        #expect(server.bufferedByteCount == request.count - 2)
        #expect(server.receive(Array(request.suffix(2)) + [0x82], up: &up, down: &down) == .open)
        #expect(server.isOpen && server.bufferedByteCount == 1)  // just the partial frame header
        var refused = WebSocketServer()
        _ = refused.receive(WS.bytes("GET / HTTP/1.1\r\n"), up: &up, down: &down)
        #expect(refused.bufferedByteCount > 0)
        _ = refused.receive(WS.bytes("\r\n"), up: &up, down: &down)
        #expect(refused.isClosed && refused.bufferedByteCount == 0)
    }

    @Test("[v5 interp] close before the handshake completes sends nothing and marks the connection closed")
    func closeDuringHandshake() {
        var server = WebSocketServer()
        var up: [UInt8] = [], down: [UInt8] = []
        _ = server.receive(WS.bytes("GET / HT"), up: &up, down: &down)
        server.close(code: .goingAway, down: &down)
        #expect(down.isEmpty && server.isClosed && !server.isOpen && server.bufferedByteCount == 0)
        #expect(server.receive(WS.bytes("TP/1.1\r\n\r\n"), up: &up, down: &down) != .open && down.isEmpty)
    }
}
