/// The WebSocket frame format (RFC 6455 5.2), shared by the server and client sides.
///
/// A frame is a header of 2 to 14 bytes followed by the payload:
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-------+-+-------------+-------------------------------+
///     |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
///     |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
///     |N|V|V|V|       |S|             |   (if payload len==126/127)   |
///     | |1|2|3|       |K|             |                               |
///     +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
///     |     Extended payload length continued, if payload len == 127  |
///     + - - - - - - - - - - - - - - - +-------------------------------+
///     |                               |Masking-key, if MASK set to 1  |
///     +-------------------------------+-------------------------------+
///     | Masking-key (continued)       |          Payload Data         |
///     +-------------------------------- - - - - - - - - - - - - - - - +
///
/// - Payload len 0...125 is the length; 126 means a 16-bit big-endian length follows, 127 a
///   64-bit one whose top bit must be 0. Non-minimal encodings are accepted on receipt; we
///   always send the minimal one.
/// - Client-to-server frames are masked: each payload byte `i` is XORed with `key[i % 4]`.
///   Server-to-client frames never are.
/// - Control frames (close, ping, pong) have FIN set and at most 125 payload bytes; they may
///   arrive between the fragments of a data message.
///
/// MQTT rides only in binary data frames (MQTT-6.0.0-1); its byte stream is the concatenation
/// of their payloads, with packets free to straddle frame boundaries (MQTT-6.0.0-2).
enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    var isControl: Bool { rawValue & 0x8 != 0 }
}

enum WebSocketFrame {
    /// The FIN bit of the first header byte.
    static let finBit: UInt8 = 0x80
    /// RSV1, RSV2, RSV3: meaningful only with a negotiated extension (we negotiate none).
    static let reservedBits: UInt8 = 0x70
    /// The MASK bit of the second header byte.
    static let maskBit: UInt8 = 0x80
    /// The largest payload a control frame may carry.
    static let maxControlPayload = 125
    /// The longest header: 2 bytes, a 64-bit length, a masking key.
    static let maxHeaderLength = 14

    /// The header's total length, known from its second byte alone.
    static func headerLength(secondByte: UInt8) -> Int {
        let lengthBytes = switch secondByte & 0x7F {
        case 126: 2
        case 127: 8
        default: 0
        }
        return 2 + lengthBytes + (secondByte & maskBit != 0 ? 4 : 0)
    }

    /// Appends a frame header with FIN set: `mask` is the masking key in wire order (client
    /// side) or nil (server side). The payload follows separately.
    static func appendHeader(
        opcode: WebSocketOpcode, payloadLength: Int, mask: UInt32?, to out: inout [UInt8]
    ) {
        let maskFlag: UInt8 = mask == nil ? 0 : maskBit
        out.append(finBit | opcode.rawValue)
        switch payloadLength {
        case 0...125:
            out.append(maskFlag | UInt8(payloadLength))
        case 126...0xFFFF:
            out.append(maskFlag | 126)
            out.append(UInt8(truncatingIfNeeded: payloadLength >> 8))
            out.append(UInt8(truncatingIfNeeded: payloadLength))
        default:
            out.append(maskFlag | 127)
            let length = UInt64(payloadLength)
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: length >> UInt64(shift)))
            }
        }
        if let mask { withUnsafeBytes(of: mask) { out.append(contentsOf: $0) } }
    }

    /// Appends one whole frame; masked with `mask` when given.
    static func append(
        opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, mask: UInt32?, to out: inout [UInt8]
    ) {
        appendHeader(opcode: opcode, payloadLength: payload.count, mask: mask, to: &out)
        let start = out.count
        out.append(contentsOf: payload)
        guard let mask else { return }
        out.withUnsafeMutableBytes { all in
            _ = applyMask(mask, phase: 0, to: UnsafeMutableRawBufferPointer(rebasing: all[start...]))
        }
    }

    /// Appends a close frame carrying `code` and `reason` (cut to fit 125 bytes, at a
    /// character boundary).
    static func appendClose(code: WebSocketCloseCode, reason: String, mask: UInt32?, to out: inout [UInt8]) {
        var payload: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(truncatingIfNeeded: code.rawValue)]
        for scalar in reason.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            guard payload.count + bytes.count <= maxControlPayload else { break }
            payload += bytes
        }
        payload.withUnsafeBytes { append(opcode: .close, payload: $0, mask: mask, to: &out) }
    }

    /// XORs `buffer` in place with the masking key `mask` (its four bytes in wire order, as
    /// loaded from the header), starting at key byte `phase` (0...3, the payload offset mod 4).
    /// Returns the phase for the byte after `buffer`. Masking and unmasking are the same.
    @discardableResult
    static func applyMask(_ mask: UInt32, phase: Int, to buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard !buffer.isEmpty else { return phase }
        var rotated: UInt32 = 0
        withUnsafeBytes(of: mask) { key in
            withUnsafeMutableBytes(of: &rotated) { out in
                for index in 0..<4 { out[index] = key[(index + phase) & 3] }
            }
        }
        // Both halves equal, so the 8 bytes in memory repeat the key whatever the byte order.
        let wide = UInt64(rotated) | UInt64(rotated) << 32
        var offset = 0
        while offset + 8 <= buffer.count {
            let word = buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            buffer.storeBytes(of: word ^ wide, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        withUnsafeBytes(of: rotated) { key in
            while offset < buffer.count {
                buffer[offset] ^= key[offset & 3]
                offset += 1
            }
        }
        return (phase + buffer.count) & 3
    }
}
