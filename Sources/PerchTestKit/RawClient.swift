#if canImport(Glibc)
import Glibc
#endif
import PerchCodec
import PerchStreams

/// A blocking MQTT client over loopback TCP for end-to-end tests: it sends exactly the
/// packets (or bytes) a test gives it and returns exactly what the server sent, decoded
/// with the codec. Every wait is bounded by `poll()` with a timeout, never a sleep.
public final class RawClient {
    public enum Failure: Error, CustomStringConvertible {
        case connect(String)
        case closed
        case timeout(String)
        case decode(DecodeError)
        case io(String)

        public var description: String {
            switch self {
            case .connect(let why): return "connect failed: \(why)"
            case .closed: return "connection closed by the server"
            case .timeout(let what): return "timed out waiting for \(what)"
            case .decode(let error): return "cannot decode server bytes: \(error)"
            case .io(let why): return why
            }
        }
    }

    public let fd: Int32
    /// The version packets are encoded and decoded with (set by `connect`).
    public var version: ProtocolVersion
    var decoder = FrameDecoder()
    public private(set) var isClosed = false
    /// TLS / WebSocket layers (`connectLayers`); nil for plain MQTT.
    var layers: ClientStreamStack?
    /// Why the layers closed the connection, when they did (a TLS alert, a close frame).
    public private(set) var lastLayerClose: String?

    /// Opens a TCP connection to `host` (numeric IPv4 or IPv6) on `port`. A small
    /// `receiveBufferSize` (set before connecting, so the TCP window is small from the
    /// start) makes a client that stops reading fill up fast.
    public init(port: UInt16, host: String = "127.0.0.1", version: ProtocolVersion = .v311,
                receiveBufferSize: Int32? = nil) throws(Failure) {
        self.version = version
        let isV6 = host.contains(":")
        fd = socket(isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .connect("socket: \(RawClient.errorText())") }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if var size = receiveBufferSize {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let ok = isV6 ? RawClient.connect6(fd, host, port) : RawClient.connect4(fd, host, port)
        guard ok else {
            let why = RawClient.errorText()
            Glibc.close(fd)
            throw .connect("\(host) port \(port): \(why)")
        }
    }

    /// Connects to a Unix domain socket listener at `path`.
    public init(unixSocketPath path: String, version: ProtocolVersion = .v311) throws(Failure) {
        self.version = version
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .connect("socket: \(RawClient.errorText())") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8.prefix(raw.count - 1))
            raw[min(path.utf8.count, raw.count - 1)] = 0
        }
        let ok = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
        guard ok else {
            let why = RawClient.errorText()
            Glibc.close(fd)
            throw .connect("\(path): \(why)")
        }
    }

    deinit {
        if !isClosed { Glibc.close(fd) }
    }

    /// Closes the socket (no DISCONNECT).
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    /// Encodes and sends one packet.
    public func send(_ packet: Packet) throws(Failure) {
        var bytes: [UInt8] = []
        packet.encode(version: version, into: &bytes)
        try sendRaw(bytes)
    }

    /// Speaks through `layers` from now on: sends their first bytes and waits (bounded)
    /// until the TLS handshake and the WebSocket upgrade are done.
    public func connectLayers(_ layers: ClientStreamStack, timeout: Double = 5) throws(Failure) {
        self.layers = layers
        var wire: [UInt8] = []
        layers.start(into: &wire)
        try sendWire(wire)
        let deadline = RawClient.monotonicSeconds() + timeout
        while !(layers.isReady && (layers.tls?.isEstablished ?? true)) {
            let remaining = deadline - RawClient.monotonicSeconds()
            guard remaining > 0 else { throw .timeout("the TLS / WebSocket handshake") }
            guard try fill(timeout: remaining) else { continue }
        }
    }

    /// Sends MQTT bytes as given (through the layers, when there are any).
    public func sendRaw(_ bytes: [UInt8]) throws(Failure) {
        guard let layers else { return try sendWire(bytes) }
        var plain = bytes
        var wire: [UInt8] = []
        layers.seal(&plain, into: &wire)
        try sendWire(wire)
    }

    /// Sends bytes to the socket exactly as given.
    public func sendWire(_ bytes: [UInt8]) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .io("send: \(RawClient.errorText())") }
            offset += n
        }
    }

    /// The next packet from the server, or nil when none arrived within `timeout` seconds.
    /// Throws `.closed` when the server closed the connection first.
    public func receive(timeout: Double = 5) throws(Failure) -> Packet? {
        let deadline = RawClient.monotonicSeconds() + timeout
        while true {
            do throws(DecodeError) {
                if let frame = try decoder.next() { return try Packet(frame: frame, version: version) }
            } catch {
                throw .decode(error)
            }
            let remaining = deadline - RawClient.monotonicSeconds()
            guard remaining > 0, try fill(timeout: remaining) else { return nil }
        }
    }

    /// Reads whatever arrives within `timeout`: false on timeout, true when bytes were
    /// appended to the decoder; throws `.closed` on EOF or reset.
    func fill(timeout: Double) throws(Failure) -> Bool {
        if lastLayerClose != nil { throw .closed }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = Glibc.poll(&descriptor, 1, Int32(max(1, timeout * 1000)))
        guard ready > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 {
            if n < 0 && (errno == EINTR || errno == EAGAIN) { return true }
            throw .closed
        }
        guard let layers else {
            decoder.append(Array(chunk[0..<n]))
            return true
        }
        var plain: [UInt8] = []
        var wire: [UInt8] = []
        let status = chunk[0..<n].withUnsafeBytes { layers.receive($0, up: &plain, wire: &wire) }
        if !wire.isEmpty { try sendWire(wire) }
        decoder.append(plain)
        if case .close(let reason) = status {
            lastLayerClose = reason
            // What came with the goodbye (a refusing CONNACK before close_notify) is read first.
            guard !plain.isEmpty else { throw .closed }
        }
        return true
    }

    /// Waits for the server to close the connection. Returns the packets that arrived
    /// before the close, or nil when the connection was still open after `timeout`.
    public func expectClosed(timeout: Double = 5) -> [Packet]? {
        let deadline = RawClient.monotonicSeconds() + timeout
        var packets: [Packet] = []
        while true {
            let remaining = deadline - RawClient.monotonicSeconds()
            guard remaining > 0 else { return nil }
            do {
                guard let packet = try receive(timeout: remaining) else { return nil }
                packets.append(packet)
            } catch .closed {
                return packets
            } catch {
                return nil
            }
        }
    }
}
