/// The server side of MQTT over WebSocket (RFC 6455; MQTT 3.1.1 and 5.0 chapter 6) as a pure
/// byte layer between the socket (or TLS) below and the MQTT framer above.
///
/// A connection starts in the opening handshake: the HTTP request head is collected (at most
/// `maxHandshakeBytes`), checked, and answered with `101 Switching Protocols` or an HTTP error
/// and `.close`. From then on it is a stream of frames (layout in `WebSocketFrame`): the
/// payloads of binary frames, unmasked, are the MQTT byte stream and go up as they arrive —
/// MQTT packets need not align with frames (MQTT-6.0.0-2), so nothing waits for a frame's
/// end. Pings are answered, pongs ignored, a close is echoed, and any protocol error earns a
/// close frame with its code (a text frame: 1003, MQTT-6.0.0-1) and `.close`.
///
/// Outbound, `send` frames a whole batch of MQTT bytes as one unmasked binary frame.
///
/// Memory: between reads the struct holds no heap buffer, except the bytes of an incomplete
/// HTTP head during the handshake or of an incomplete frame header or control frame.
public struct WebSocketServer: Sendable {
    enum Phase: UInt8, Sendable {
        case handshake
        case open
        /// The handshake was refused: an HTTP error went out.
        case refused
    }

    /// The subprotocols a server may select, in order of preference (MQTT-6.0.0-4 names `mqtt`;
    /// `mqttv3.1` is what some MQTT 3.1 era clients offer).
    enum Subprotocol: String, Sendable, CaseIterable {
        case mqtt = "mqtt"
        case mqttV31 = "mqttv3.1"
    }

    var phase = Phase.handshake
    var head: HTTPHeadBuffer
    var endpoint = WebSocketEndpoint.server()
    var selected: Subprotocol?

    /// maxHandshakeBytes: the HTTP request head must fit (mosquitto's websockets_headers_size).
    public init(maxHandshakeBytes: Int = 4096) {
        head = HTTPHeadBuffer(limit: maxHandshakeBytes)
    }

    /// True once the 101 response has been produced (and still true after a close).
    public var isOpen: Bool { phase == .open }

    /// True once a close frame or an HTTP error has gone out: nothing more is sent or read.
    public var isClosed: Bool { phase == .refused || endpoint.isClosed }

    /// The subprotocol selected ("mqtt" or "mqttv3.1"), once open.
    public var subprotocol: String? { selected?.rawValue }

    /// Bytes held between reads: an incomplete HTTP head, frame header or control frame (0 while idle).
    public var bufferedByteCount: Int { head.bufferedByteCount + endpoint.bufferedByteCount }

    /// Bytes from below (socket or TLS). Appends MQTT payload bytes to `up` as they arrive,
    /// and bytes to send to `down` (the 101 response, HTTP errors, pongs, close frames).
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, up: inout [UInt8], down: inout [UInt8]) -> StreamStatus {
        switch phase {
        case .handshake: receiveHandshake(bytes, up: &up, down: &down)
        case .open: endpoint.receive(bytes, from: 0, up: &up, down: &down)
        case .refused: .close(reason: "WebSocket handshake already refused")
        }
    }

    public mutating func receive(_ bytes: [UInt8], up: inout [UInt8], down: inout [UInt8]) -> StreamStatus {
        bytes.withUnsafeBytes { receive($0, up: &up, down: &down) }
    }

    /// Frames `payload` as one unmasked binary frame with FIN into `down` (no-op for an empty
    /// payload, before open, or after close).
    public mutating func send(_ payload: UnsafeRawBufferPointer, down: inout [UInt8]) {
        guard phase == .open, !payload.isEmpty else { return }
        endpoint.send(.binary, payload, down: &down)
    }

    public mutating func send(_ payload: [UInt8], down: inout [UInt8]) {
        payload.withUnsafeBytes { send($0, down: &down) }
    }

    /// Appends a close frame with `code` and an optional short `reason` (cut at 123 bytes),
    /// once; later sends are dropped. Before the handshake completes there is no frame to send:
    /// the connection is just marked closed.
    public mutating func close(code: WebSocketCloseCode, reason: String = "", down: inout [UInt8]) {
        switch phase {
        case .open:
            endpoint.close(code: code, reason: reason, down: &down)
        case .handshake:
            phase = .refused
            head = HTTPHeadBuffer(limit: head.limit)
        case .refused:
            return
        }
    }
}
