/// The open phase of a WebSocket connection, for either side: frames in (through
/// `WebSocketFrameParser`), binary frames out, pings answered, and the closing handshake
/// (RFC 6455 5.5, 7).
///
/// The server side sends unmasked frames; the client side masks every frame with a fresh key
/// from `WebSocketMasker`. Once a close frame has gone out — ours, an echo of the peer's, or
/// the one a protocol error earns — the endpoint is closed: it sends and appends nothing more,
/// and holds no buffer.
struct WebSocketEndpoint: Sendable {
    private var parser: WebSocketFrameParser
    private var masker: WebSocketMasker?
    private(set) var isClosed = false

    /// The server side: client frames must be masked, ours are not.
    static func server() -> WebSocketEndpoint {
        WebSocketEndpoint(parser: WebSocketFrameParser(expectMasked: true), masker: nil)
    }

    /// The client side: server frames must be unmasked, ours are masked with keys from `masker`.
    static func client(masker: WebSocketMasker) -> WebSocketEndpoint {
        WebSocketEndpoint(parser: WebSocketFrameParser(expectMasked: false), masker: masker)
    }

    var bufferedByteCount: Int { parser.bufferedByteCount }

    /// Reads frames from `bytes[offset...]`: payload to `up`, answers to `down`.
    mutating func receive(
        _ bytes: UnsafeRawBufferPointer, from offset: Int, up: inout [UInt8], down: inout [UInt8]
    ) -> StreamStatus {
        guard !isClosed else { return .close(reason: "WebSocket connection already closed") }
        var offset = offset
        while let event = parser.next(bytes, at: &offset, up: &up) {
            switch event {
            case .ping(let payload):
                payload.withUnsafeBytes { append(.pong, $0, to: &down) }
            case .pong:
                continue
            case .close(let payload):
                return answerClose(payload, down: &down)
            case .failure(let code, let reason):
                finish(code: code, reason: "", down: &down)
                return .close(reason: "WebSocket protocol error: \(reason) (close \(code))")
            }
        }
        return .open
    }

    /// One frame with FIN; a no-op once closed.
    mutating func send(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, down: inout [UInt8]) {
        guard !isClosed else { return }
        append(opcode, payload, to: &down)
    }

    /// Our close frame, once.
    mutating func close(code: WebSocketCloseCode, reason: String, down: inout [UInt8]) {
        guard !isClosed else { return }
        finish(code: code, reason: reason, down: &down)
    }

    /// The peer's close frame: echo its code (RFC 6455 5.5.1), or fail on a bad payload.
    private mutating func answerClose(_ payload: [UInt8], down: inout [UInt8]) -> StreamStatus {
        switch PeerClose(payload) {
        case .failure(let code, let reason):
            finish(code: code, reason: "", down: &down)
            return .close(reason: "WebSocket protocol error: \(reason) (close \(code))")
        case .valid(let code, let reason):
            finish(code: code ?? .normal, reason: "", down: &down)
            let said = reason.isEmpty ? "" : " \"\(reason)\""
            return .close(reason: "peer sent WebSocket close \(code.map { "\($0)" } ?? "without a code")\(said)")
        }
    }

    private mutating func finish(code: WebSocketCloseCode, reason: String, down: inout [UInt8]) {
        WebSocketFrame.appendClose(code: code, reason: reason, mask: masker?.next(), to: &down)
        isClosed = true
        parser = WebSocketFrameParser(expectMasked: masker == nil)  // drops any partial header
    }

    private mutating func append(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, to down: inout [UInt8]) {
        WebSocketFrame.append(opcode: opcode, payload: payload, mask: masker?.next(), to: &down)
    }
}

/// What a received close frame says (RFC 6455 5.5.1, 7.1.5, 7.1.6).
enum PeerClose: Equatable {
    /// A well-formed close: its code (nil when the payload was empty) and reason text.
    case valid(WebSocketCloseCode?, String)
    /// A malformed one: the code to close with, and why.
    case failure(WebSocketCloseCode, String)

    init(_ payload: [UInt8]) {
        guard !payload.isEmpty else {
            self = .valid(nil, "")
            return
        }
        guard payload.count >= 2 else {
            self = .failure(.protocolError, "close frame with a 1-byte payload")
            return
        }
        let code = WebSocketCloseCode(rawValue: UInt16(payload[0]) << 8 | UInt16(payload[1]))
        guard code.isValidOnTheWire else {
            self = .failure(.protocolError, "close frame with invalid code \(code)")
            return
        }
        guard let reason = String(validating: payload[2...], as: UTF8.self) else {
            self = .failure(.invalidPayload, "close reason is not UTF-8")
            return
        }
        self = .valid(code, reason)
    }
}

/// Masking keys for client frames: SplitMix64, seeded from the handshake key. RFC 6455 5.3
/// wants keys a third party cannot predict, to defeat proxy cache poisoning; the client side
/// is for tests and load generation, where a cheap seeded generator is the point.
struct WebSocketMasker: Sendable {
    private var state: UInt64

    init(seed: [UInt8]) {
        state = seed.enumerated().reduce(0x6A09_E667_F3BC_C908) { $0 ^ UInt64($1.element) << UInt64(($1.offset % 8) * 8) }
    }

    mutating func next() -> UInt32 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt32(truncatingIfNeeded: (z ^ (z >> 31)) >> 32)
    }
}
