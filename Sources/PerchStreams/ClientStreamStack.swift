/// The client side of a connection's byte layers, for the load generator, the tests and
/// (later) bridges: `socket ⇄ [TLSSession, client role] ⇄ [WebSocketClient] ⇄ MQTT bytes`.
///
/// `start` produces the first bytes after the TCP connect (ClientHello, upgrade request);
/// `seal` frames and encrypts MQTT bytes once the layers are ready (a WebSocket must be
/// upgraded first; TLS itself keeps what it is given until its handshake is done);
/// `receive` opens what the server sent.
public final class ClientStreamStack {
    public let tls: TLSSession?
    public private(set) var webSocket: WebSocketClient?

    /// `webSocketKey`: the 16 bytes of `Sec-WebSocket-Key` (nil: no WebSocket layer).
    public init(tls: TLSContext?, webSocketHost: String = "localhost", webSocketKey: [UInt8]?) {
        self.tls = tls.map { TLSSession(context: $0) }
        webSocket = webSocketKey.map { WebSocketClient(host: webSocketHost, key: $0) }
    }

    /// Whether MQTT bytes can be sealed now.
    public var isReady: Bool { webSocket?.isOpen ?? true }

    /// The first bytes after the TCP connect: the ClientHello and / or the upgrade request.
    public func start(into wire: inout [UInt8]) {
        tls?.start(down: &wire)
        guard let request = webSocket?.handshakeRequest() else { return }
        down(request, into: &wire)
    }

    /// Wire bytes in, MQTT bytes appended to `up`, answers appended to `wire`.
    public func receive(_ bytes: UnsafeRawBufferPointer, up: inout [UInt8], wire: inout [UInt8]) -> StreamStatus {
        var plain: [UInt8] = []
        var tlsStatus = StreamStatus.open
        if let tls {
            guard webSocket != nil else { return tls.receive(bytes, up: &up, down: &wire) }
            // What came with TLS's goodbye (a refusing CONNACK and the close frame before
            // close_notify) still goes up through the WebSocket layer.
            tlsStatus = tls.receive(bytes, up: &plain, down: &wire)
            guard !plain.isEmpty else { return tlsStatus }
        } else {
            guard webSocket != nil else {
                up.append(contentsOf: bytes)
                return .open
            }
            plain.append(contentsOf: bytes)
        }
        var answer: [UInt8] = []
        let status = plain.withUnsafeBytes { webSocket!.receive($0, up: &up, down: &answer) }
        guard tlsStatus == .open else { return tlsStatus }
        if !answer.isEmpty { down(answer, into: &wire) }
        return status
    }

    /// Frames and encrypts `outbound` into `wire` and empties it, once the layers are ready.
    public func seal(_ outbound: inout [UInt8], into wire: inout [UInt8]) {
        guard isReady, !outbound.isEmpty else { return }
        if webSocket != nil {
            var framed: [UInt8] = []
            outbound.withUnsafeBytes { webSocket!.send($0, down: &framed) }
            down(framed, into: &wire)
        } else {
            outbound.withUnsafeBytes { tls?.send($0, down: &wire) }
        }
        outbound.removeAll(keepingCapacity: true)
    }

    /// Bytes from the WebSocket layer down to the wire (through TLS when there is TLS).
    private func down(_ bytes: [UInt8], into wire: inout [UInt8]) {
        if let tls { bytes.withUnsafeBytes { tls.send($0, down: &wire) } } else { wire += bytes }
    }
}
