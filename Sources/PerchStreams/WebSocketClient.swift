/// The client side of MQTT over WebSocket, for the load generator and tests: the upgrade
/// request, the check of the server's 101 answer, masked binary frames out, unmasked server
/// frames in (pings answered, a close echoed).
///
/// Masking keys come from a cheap generator seeded by the handshake key (`WebSocketMasker`),
/// so a run is reproducible from its key.
public struct WebSocketClient: Sendable {
    private let host: String
    private let path: String
    private let requested: String
    /// The handshake key, base64 (24 characters).
    private let key: String
    private var head = HTTPHeadBuffer(limit: 16_384)
    private var endpoint: WebSocketEndpoint
    private var failed = false
    public private(set) var isOpen = false

    /// `key` is the 16 random bytes of `Sec-WebSocket-Key`.
    public init(host: String, path: String = "/mqtt", subprotocol: String = "mqtt", key: [UInt8]) {
        precondition(key.count == 16, "a Sec-WebSocket-Key is 16 bytes")
        self.host = host
        self.path = path
        requested = subprotocol
        self.key = WebSocketHandshake.base64(key)
        endpoint = .client(masker: WebSocketMasker(seed: key))
    }

    /// True once a close frame went out or the server's answer was refused.
    public var isClosed: Bool { failed || endpoint.isClosed }

    /// The upgrade request to send first.
    public func handshakeRequest() -> [UInt8] {
        Array(("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: \(requested)\r\n\r\n").utf8)
    }

    /// Bytes from the server: first the 101 response (checked: status, Upgrade, Connection,
    /// Sec-WebSocket-Accept, the subprotocol), then unmasked frames whose binary payloads go
    /// to `up`. A refused handshake is `.close` with nothing in `down`.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, up: inout [UInt8], down: inout [UInt8]) -> StreamStatus {
        if failed { return .close(reason: "WebSocket handshake already failed") }
        if isOpen { return endpoint.receive(bytes, from: 0, up: &up, down: &down) }
        switch head.append(bytes, startLine: Self.statusLineProblem) {
        case .incomplete:
            return .open
        case .tooLarge:
            return fail("HTTP response head over \(head.limit) bytes")
        case .malformed(let reason):
            return fail(reason)
        case .complete(let responseHead, let consumed):
            if let problem = checkResponse(responseHead) { return fail(problem) }
            isOpen = true
            return endpoint.receive(bytes, from: consumed, up: &up, down: &down)
        }
    }

    public mutating func receive(_ bytes: [UInt8], up: inout [UInt8], down: inout [UInt8]) -> StreamStatus {
        bytes.withUnsafeBytes { receive($0, up: &up, down: &down) }
    }

    /// A masked binary frame with FIN (no-op for an empty payload, before open, after close).
    public mutating func send(_ payload: UnsafeRawBufferPointer, down: inout [UInt8]) {
        guard isOpen, !payload.isEmpty else { return }
        endpoint.send(.binary, payload, down: &down)
    }

    public mutating func send(_ payload: [UInt8], down: inout [UInt8]) {
        payload.withUnsafeBytes { send($0, down: &down) }
    }

    /// A masked ping (at most 125 bytes of payload).
    public mutating func ping(_ payload: [UInt8] = [], down: inout [UInt8]) {
        guard isOpen else { return }
        precondition(payload.count <= WebSocketFrame.maxControlPayload, "a ping carries at most 125 bytes")
        payload.withUnsafeBytes { endpoint.send(.ping, $0, down: &down) }
    }

    /// A masked close frame, once; later sends are dropped.
    public mutating func close(code: WebSocketCloseCode, reason: String = "", down: inout [UInt8]) {
        guard isOpen else { return }
        endpoint.close(code: code, reason: reason, down: &down)
    }

    private mutating func fail(_ reason: String) -> StreamStatus {
        failed = true
        head = HTTPHeadBuffer(limit: head.limit)
        return .close(reason: "WebSocket handshake failed: \(reason)")
    }

    /// What is wrong with the server's answer (RFC 6455 4.1, the client's checks), or nil.
    private func checkResponse(_ bytes: [UInt8]) -> String? {
        let response: HTTPHead
        switch HTTPHead.parse(bytes) {
        case .success(let parsed): response = parsed
        case .failure(let error): return error.reason
        }
        guard response.startLine.count >= 2, response.startLine[1] == "101" else {
            return "server answered \"\(response.startLine.joined(separator: " ").prefix(60))\""
        }
        if !response.hasToken("upgrade", "websocket") { return "101 without Upgrade: websocket" }
        if !response.hasToken("connection", "upgrade") { return "101 without Connection: Upgrade" }
        let accept = WebSocketHandshake.acceptValue(forKey: key)
        if response.values("sec-websocket-accept") != [accept] { return "Sec-WebSocket-Accept is not \(accept)" }
        let chosen = response.values("sec-websocket-protocol")
        if chosen != [requested] { return "server chose subprotocol \(chosen), not \(requested)" }
        if !response.values("sec-websocket-extensions").isEmpty { return "server chose an extension we did not offer" }
        return nil
    }

    /// The status line's shape: `HTTP/d.d SP ddd SP reason`, checked as soon as it arrives.
    static func statusLineProblem(_ line: ArraySlice<UInt8>) -> String? {
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
        let shaped = parts.count >= 2 && parts[0].starts(with: "HTTP/1.".utf8) && parts[1].count == 3
            && parts[1].allSatisfy(WebSocketServer.isDigit)
        return shaped ? nil : "not an HTTP status line: \"\(WebSocketServer.printable(line.prefix(40)))\""
    }
}
