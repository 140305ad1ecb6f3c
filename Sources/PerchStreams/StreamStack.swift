/// The byte layers of one connection between its socket and MQTT framing:
///
///     socket ⇄ [TLSSession] ⇄ [WebSocketServer] ⇄ MQTT bytes (FrameDecoder / encoder)
///
/// `receive` takes what the socket read and returns the MQTT bytes for the framer, plus
/// what the layers answer on their own (TLS handshake records and alerts, the WebSocket
/// handshake response, pongs, close frames), already passed down through the layers below.
/// Outbound MQTT bytes collect in `pending` during a batch; `seal` frames them as one
/// WebSocket message and encrypts them in as few TLS records as OpenSSL makes, once per
/// batch. A plain TCP connection has no stack at all (the transport keeps `nil`).
public final class StreamStack {
    public let tls: TLSSession?
    public private(set) var webSocket: WebSocketServer?
    /// MQTT bytes encoded since the last `seal`.
    public var pending: [UInt8] = []
    private var finished = false

    public init(tls: TLSSession?, webSocket: WebSocketServer?) {
        self.tls = tls
        self.webSocket = webSocket
    }

    /// Whether the layers' handshakes are done (TLS established, WebSocket upgraded).
    public var isEstablished: Bool {
        (tls?.isEstablished ?? true) && (webSocket?.isOpen ?? true)
    }

    /// Takes the bytes the socket read: appends MQTT bytes to `up` and bytes to write to
    /// `down`. `.close` once any layer gives up (its last words are in `down`).
    public func receive(_ bytes: UnsafeRawBufferPointer, up: inout [UInt8], down: inout [UInt8]) -> StreamStatus {
        guard !finished else { return .open }
        guard let tls else { return webSocket?.receive(bytes, up: &up, down: &down) ?? .open }
        guard webSocket != nil else { return tls.receive(bytes, up: &up, down: &down) }
        var plaintext: [UInt8] = []
        let tlsStatus = tls.receive(bytes, up: &plaintext, down: &down)
        var answer: [UInt8] = []
        let webSocketStatus = plaintext.withUnsafeBytes { webSocket!.receive($0, up: &up, down: &answer) }
        if !answer.isEmpty { answer.withUnsafeBytes { tls.send($0, down: &down) } }
        if case .close = tlsStatus { return tlsStatus }
        return webSocketStatus
    }

    /// Frames and encrypts `pending` into `down`, and forgets it (no buffer kept while idle).
    public func seal(into down: inout [UInt8]) {
        guard !pending.isEmpty else { return }
        defer { pending = [] }
        guard !finished else { return }
        guard webSocket != nil else {
            pending.withUnsafeBytes { tls?.send($0, down: &down) }
            return
        }
        guard let tls else {
            pending.withUnsafeBytes { webSocket!.send($0, down: &down) }
            return
        }
        var framed: [UInt8] = []
        pending.withUnsafeBytes { webSocket!.send($0, down: &framed) }
        framed.withUnsafeBytes { tls.send($0, down: &down) }
    }

    /// The layers' goodbye, once, after the last `seal`: a WebSocket close frame (1000) and
    /// a TLS close_notify. Nothing more is sent or received afterwards.
    public func finish(into down: inout [UInt8]) {
        guard !finished else { return }
        seal(into: &down)
        finished = true
        guard webSocket?.isOpen == true || tls?.isEstablished == true else { return }
        var goodbye: [UInt8] = []
        if webSocket?.isOpen == true { webSocket!.close(code: .normal, down: &goodbye) }
        guard let tls else {
            down += goodbye
            return
        }
        if !goodbye.isEmpty { goodbye.withUnsafeBytes { tls.send($0, down: &down) } }
        tls.close(down: &down)
    }
}
