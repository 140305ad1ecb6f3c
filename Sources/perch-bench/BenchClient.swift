import PerchStreams

/// What a connection is for. The associated value indexes `Bench.publishers` or
/// `Bench.subscribers` (idle connections are subscribers that never receive).
enum ClientRole {
    case publisher(Int)
    case subscriber(Int)
}

/// Where a connection is in its life:
///
///     connecting --writable--> awaitingConnAck --CONNACK--> ready            (publisher)
///                                              --CONNACK--> awaitingSubAck --SUBACK--> ready
///     any state --error / close / refusal--> failed
enum ClientState {
    case connecting, awaitingConnAck, awaitingSubAck, ready, failed
}

/// One TCP connection of the load generator: its socket, partial input, pending output and
/// the edge-triggered readiness flags the event loop keeps for it.
struct BenchClient {
    let fd: Int32
    let role: ClientRole
    var state = ClientState.connecting
    /// Bytes of an incomplete packet left from the last read.
    var inbound: [UInt8] = []
    /// Bytes waiting for the one write of this loop iteration (or for EPOLLOUT).
    var outbound: [UInt8] = []
    /// Last EPOLLOUT edge not yet followed by EAGAIN or a short write.
    var writable = false
    /// Already in `Bench.touched` (has output to flush this iteration).
    var touched = false
    /// TLS / WebSocket layers (`--tls`, `--websocket`); nil for plain MQTT over TCP.
    var stream: ClientStreamStack?
    /// With layers: sealed bytes waiting for the socket (`outbound` holds MQTT bytes).
    var wire: [UInt8] = []
    /// When the connection was opened (connect mode measures CONNACK latency from it).
    var openedAt: UInt64 = 0

    init(fd: Int32, role: ClientRole, stream: ClientStreamStack? = nil) {
        self.fd = fd
        self.role = role
        self.stream = stream
    }

    /// Appends a 4-byte acknowledgement (PUBACK 0x40, PUBREC 0x50, PUBREL 0x62, PUBCOMP 0x70).
    /// In 5.0 the Reason Code may be omitted when it is Success and there are no properties
    /// (v5 §3.4.2.1), so the same 4 bytes serve both versions.
    mutating func appendAck(_ header: UInt8, packetID: UInt16) {
        outbound.append(header)
        outbound.append(2)
        outbound.append(UInt8(truncatingIfNeeded: packetID >> 8))
        outbound.append(UInt8(truncatingIfNeeded: packetID))
    }
}

/// Finds complete MQTT frames in a byte buffer without copying: fixed header byte,
/// Remaining Length (variable byte integer, at most 4 bytes), body.
enum FrameScanner {
    enum Result {
        case frame(header: UInt8, body: Range<Int>)
        case needMore
        case malformed
    }

    static func next(in bytes: UnsafeRawBufferPointer, from offset: Int) -> Result {
        var position = offset + 1
        var length = 0
        var shift = 0
        while true {
            guard position < bytes.count else { return .needMore }
            guard shift < 28 else { return .malformed }
            let byte = bytes[position]
            length |= Int(byte & 0x7F) << shift
            shift += 7
            position += 1
            if byte & 0x80 == 0 { break }
        }
        guard position + length <= bytes.count else { return .needMore }
        return .frame(header: bytes[offset], body: position..<(position + length))
    }
}
