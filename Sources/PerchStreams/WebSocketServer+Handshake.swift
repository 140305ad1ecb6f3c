/// The server's opening handshake (RFC 6455 4.2; MQTT-6.0.0-4).
///
/// A valid upgrade request:
///
///     GET /mqtt HTTP/1.1
///     Host: broker.local
///     Upgrade: websocket
///     Connection: Upgrade              (a list holding the token "upgrade", any case)
///     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
///     Sec-WebSocket-Version: 13
///     Sec-WebSocket-Protocol: mqtt     (a list: "mqtt" is chosen, else "mqttv3.1")
///
/// is answered with `101 Switching Protocols` naming the chosen subprotocol and
/// `Sec-WebSocket-Accept: base64(SHA-1(key + GUID))`. Anything else is refused with an HTTP
/// error (`400`, `426` for a missing or unsupported version, `431` for a head over the limit)
/// carrying a short text/plain body, and `.close`. `Host` is not required (lenient, as
/// mosquitto is); extensions are never negotiated; any request target is accepted.
extension WebSocketServer {
    /// Why a request is refused: the HTTP status line, extra header lines, and the reason.
    struct Refusal: Error, Equatable {
        var status: String
        var reason: String
        var extraHeaders: [String] = []

        static func badRequest(_ reason: String) -> Refusal { Refusal(status: "400 Bad Request", reason: reason) }
    }

    /// What the body of every refusal ends with.
    static let hint = "this port speaks MQTT over WebSocket: send an Upgrade request with Sec-WebSocket-Protocol: mqtt"

    mutating func receiveHandshake(_ bytes: UnsafeRawBufferPointer, up: inout [UInt8], down: inout [UInt8]) -> StreamStatus {
        switch head.append(bytes, startLine: Self.requestLineProblem) {
        case .incomplete:
            return .open
        case .tooLarge:
            let limit = head.limit
            return refuse(Refusal(status: "431 Request Header Fields Too Large", reason: "HTTP request head over \(limit) bytes"), down: &down)
        case .malformed(let reason):
            return refuse(.badRequest(reason), down: &down)
        case .complete(let requestHead, let consumed):
            switch Self.accept(requestHead) {
            case .failure(let refusal):
                return refuse(refusal, down: &down)
            case .success(let (subprotocol, accept)):
                selected = subprotocol
                phase = .open
                head = HTTPHeadBuffer(limit: head.limit)
                down += Self.switchingProtocols(accept: accept, subprotocol: subprotocol)
                return endpoint.receive(bytes, from: consumed, up: &up, down: &down)
            }
        }
    }

    /// The chosen subprotocol and the accept value, or why not.
    static func accept(_ bytes: [UInt8]) -> Result<(Subprotocol, String), Refusal> {
        let head: HTTPHead
        switch HTTPHead.parse(bytes) {
        case .success(let parsed): head = parsed
        case .failure(let error): return .failure(.badRequest(error.reason))
        }
        if let refusal = upgradeProblem(head) { return .failure(refusal) }
        let keys = head.values("sec-websocket-key")
        guard keys.count == 1 else {
            return .failure(.badRequest(keys.isEmpty ? "no Sec-WebSocket-Key" : "more than one Sec-WebSocket-Key"))
        }
        guard WebSocketHandshake.isValidKey(keys[0]) else {
            return .failure(.badRequest("Sec-WebSocket-Key \"\(keys[0].prefix(40))\" is not base64 of 16 bytes"))
        }
        let offered = head.tokens("sec-websocket-protocol")
        guard let chosen = Subprotocol.allCases.first(where: { offered.contains($0.rawValue) }) else {
            let list = offered.isEmpty ? "none" : offered.joined(separator: ", ")
            return .failure(.badRequest("no MQTT subprotocol offered (Sec-WebSocket-Protocol: \(list.prefix(80)))"))
        }
        return .success((chosen, WebSocketHandshake.acceptValue(forKey: keys[0])))
    }

    /// Method, version, Upgrade, Connection and Sec-WebSocket-Version.
    static func upgradeProblem(_ head: HTTPHead) -> Refusal? {
        let method = head.startLine[0], version = head.startLine.count == 3 ? head.startLine[2] : ""
        if version != "HTTP/1.1" { return .badRequest("\(version.prefix(20)) request: WebSocket needs HTTP/1.1") }
        if method != "GET" { return .badRequest("method \(method.prefix(20)): a WebSocket upgrade is a GET") }
        if !head.hasToken("upgrade", "websocket") { return .badRequest("not a WebSocket upgrade (no Upgrade: websocket)") }
        if !head.hasToken("connection", "upgrade") { return .badRequest("Connection header without the upgrade token") }
        let versions = head.values("sec-websocket-version")
        guard versions == ["13"] else {
            let said = versions.isEmpty ? "no Sec-WebSocket-Version" : "Sec-WebSocket-Version \(versions.joined(separator: ", ").prefix(20))"
            return Refusal(status: "426 Upgrade Required", reason: "\(said): only 13 is supported", extraHeaders: ["Sec-WebSocket-Version: 13"])
        }
        return nil
    }

    /// The request line's shape: `METHOD SP target SP HTTP/d.d`, checked as soon as it arrives.
    static func requestLineProblem(_ line: ArraySlice<UInt8>) -> String? {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        let version = parts.count == 3 ? Array(parts[2]) : []
        let shaped = parts.count == 3 && !parts[0].isEmpty && parts[0].allSatisfy(HTTPHead.isTokenByte)
            && !parts[1].isEmpty && version.count == 8 && version.starts(with: "HTTP/".utf8)
            && isDigit(version[5]) && version[6] == UInt8(ascii: ".") && isDigit(version[7])
        guard !shaped else { return nil }
        return "not an HTTP request line: \"\(printable(line.prefix(40)))\""
    }

    /// Appends the HTTP error and closes.
    mutating func refuse(_ refusal: Refusal, down: inout [UInt8]) -> StreamStatus {
        phase = .refused
        head = HTTPHeadBuffer(limit: head.limit)
        let body = "\(refusal.reason)\n\(Self.hint)\n"
        var lines = ["HTTP/1.1 \(refusal.status)", "Content-Type: text/plain; charset=utf-8",
                     "Content-Length: \(body.utf8.count)", "Connection: close"]
        lines += refusal.extraHeaders
        down += Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
        return .close(reason: "WebSocket handshake refused with HTTP \(refusal.status.prefix(3)): \(refusal.reason)")
    }

    static func switchingProtocols(accept: String, subprotocol: Subprotocol) -> [UInt8] {
        Array(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(accept)\r\nSec-WebSocket-Protocol: \(subprotocol.rawValue)\r\n\r\n").utf8)
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// ASCII text for a log or body line; other bytes become '?'.
    static func printable<S: Sequence<UInt8>>(_ bytes: S) -> String {
        String(decoding: bytes.map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
