/// The incremental WebSocket frame reader, for either end of a connection.
///
/// It is fed whatever arrived and streams data-frame payload bytes (unmasked) straight into
/// `up` as they come: a frame's payload is never buffered. Only a header that is cut off
/// (at most 14 bytes) and the payload of a control frame (at most 125 bytes, needed whole to
/// answer a ping or read a close code) are held, and only until they are complete; between
/// frames the reader holds no buffer.
///
/// The reader checks every rule of RFC 6455 5 that a header can break, as soon as the byte
/// that breaks it arrives, so any split of the input ends in the same verdict:
///
/// | rule                                                       | close code |
/// |------------------------------------------------------------|------------|
/// | RSV bits set (no extension negotiated, 5.2)                | 1002       |
/// | unknown opcode (5.2)                                       | 1002       |
/// | control frame without FIN (5.5)                            | 1002       |
/// | text frame: MQTT travels in binary frames (MQTT-6.0.0-1)   | 1003       |
/// | continuation with no message open (5.4)                    | 1002       |
/// | new data frame while a fragmented message is open (5.4)    | 1002       |
/// | masking wrong for the direction (5.1, 5.3)                 | 1002       |
/// | control payload over 125 bytes (5.5)                       | 1002       |
/// | 64-bit length with its top bit set (5.2)                   | 1002       |
struct WebSocketFrameParser: Sendable {
    /// What the reader stops for. Data payload is not an event: it is already in `up`.
    enum Event: Equatable, Sendable {
        case ping([UInt8])
        case pong
        case close([UInt8])
        case failure(WebSocketCloseCode, String)
    }

    /// True on the server (client frames must be masked), false on the client.
    private let expectMasked: Bool
    /// A header cut off at the end of a read; empty otherwise.
    private var header: [UInt8] = []
    /// The payload of the control frame being read; empty otherwise.
    private var control: [UInt8] = []
    /// Payload bytes of the current frame still to come (valid while `inPayload`).
    private var remaining: UInt64 = 0
    private var maskKey: UInt32 = 0
    private var maskPhase: UInt8 = 0
    private var opcode: WebSocketOpcode = .binary
    private var inPayload = false
    /// A binary message whose last fragment has not come yet.
    private var messageOpen = false

    init(expectMasked: Bool) { self.expectMasked = expectMasked }

    /// Bytes held for an incomplete header or control frame (0 between frames).
    var bufferedByteCount: Int { header.count + control.count }

    /// Reads `input` from `offset` on, streaming data payload into `up`. Returns nil once all
    /// of `input` is consumed, or the first event, with `offset` just past the frame (or the
    /// byte) that caused it; call again with the same `offset` to go on.
    mutating func next(_ input: UnsafeRawBufferPointer, at offset: inout Int, up: inout [UInt8]) -> Event? {
        while offset < input.count {
            if inPayload {
                let event = readPayload(input, at: &offset, up: &up)
                if event != nil { return event }
                continue
            }
            switch readHeader(input, at: &offset) {
            case .incomplete:
                return nil
            case .failure(let code, let reason):
                return .failure(code, reason)
            case .complete:
                inPayload = true
                if remaining == 0, let event = finishFrame() { return event }
            }
        }
        return nil
    }

    // MARK: payload

    private mutating func readPayload(_ input: UnsafeRawBufferPointer, at offset: inout Int, up: inout [UInt8]) -> Event? {
        let count = Int(min(remaining, UInt64(input.count - offset)))
        let chunk = UnsafeRawBufferPointer(rebasing: input[offset..<(offset + count)])
        offset += count
        remaining -= UInt64(count)
        if opcode.isControl {
            control.append(contentsOf: chunk)
        } else {
            let start = up.count
            up.append(contentsOf: chunk)
            if expectMasked { unmaskTail(of: &up, from: start) }
        }
        return remaining == 0 ? finishFrame() : nil
    }

    private mutating func unmaskTail(of buffer: inout [UInt8], from start: Int) {
        let key = maskKey, phase = Int(maskPhase)
        let next = buffer.withUnsafeMutableBytes { all in
            WebSocketFrame.applyMask(key, phase: phase, to: UnsafeMutableRawBufferPointer(rebasing: all[start...]))
        }
        maskPhase = UInt8(next)
    }

    /// The current frame's payload is complete: a control frame becomes an event.
    private mutating func finishFrame() -> Event? {
        inPayload = false
        guard opcode.isControl else { return nil }
        var payload: [UInt8] = []
        swap(&payload, &control)
        if expectMasked { unmaskTail(of: &payload, from: 0) }
        switch opcode {
        case .ping: return .ping(payload)
        case .pong: return .pong
        default: return .close(payload)
        }
    }

    // MARK: header

    private enum HeaderStep {
        case incomplete
        case complete
        case failure(WebSocketCloseCode, String)
    }

    /// Reads one header, from `input` directly when it is all there, else through `header`.
    private mutating func readHeader(_ input: UnsafeRawBufferPointer, at offset: inout Int) -> HeaderStep {
        let available = input.count - offset
        if header.isEmpty, available >= 2 {
            let length = WebSocketFrame.headerLength(secondByte: input[offset + 1])
            if available >= length {
                let bytes = UnsafeRawBufferPointer(rebasing: input[offset..<(offset + length)])
                offset += length
                if let failure = checkFirstByte(bytes[0]) ?? checkSecondByte(bytes[1]) { return failure }
                return decode(bytes)
            }
        }
        while offset < input.count {
            header.append(input[offset])
            offset += 1
            let failure: HeaderStep? = switch header.count {
            case 1: checkFirstByte(header[0])
            case 2: checkSecondByte(header[1])
            default: nil
            }
            if let failure { return failure }
            if header.count >= 2, header.count == WebSocketFrame.headerLength(secondByte: header[1]) {
                defer { header = [] }
                return header.withUnsafeBytes { decode($0) }
            }
        }
        return .incomplete
    }

    /// FIN, RSV and opcode; also the fragmentation state, which it updates.
    private mutating func checkFirstByte(_ byte: UInt8) -> HeaderStep? {
        let fin = byte & WebSocketFrame.finBit != 0
        if byte & WebSocketFrame.reservedBits != 0 {
            return .failure(.protocolError, "RSV bits set without a negotiated extension")
        }
        guard let code = WebSocketOpcode(rawValue: byte & 0x0F) else {
            return .failure(.protocolError, "unknown opcode \(byte & 0x0F)")
        }
        opcode = code
        switch code {
        case .close, .ping, .pong:
            if !fin { return .failure(.protocolError, "fragmented control frame") }
        case .text:
            return .failure(.unsupportedData, "text frame (MQTT needs binary frames)")
        case .continuation:
            if !messageOpen { return .failure(.protocolError, "continuation frame without a message to continue") }
            messageOpen = !fin
        case .binary:
            if messageOpen { return .failure(.protocolError, "new data frame inside a fragmented message") }
            messageOpen = !fin
        }
        return nil
    }

    /// MASK bit and the 7-bit length of a control frame.
    private func checkSecondByte(_ byte: UInt8) -> HeaderStep? {
        if (byte & WebSocketFrame.maskBit != 0) != expectMasked {
            return .failure(.protocolError, expectMasked ? "unmasked client frame" : "masked server frame")
        }
        if opcode.isControl, Int(byte & 0x7F) > WebSocketFrame.maxControlPayload {
            return .failure(.protocolError, "control frame payload over 125 bytes")
        }
        return nil
    }

    /// The length and masking key of a complete header whose first two bytes passed.
    private mutating func decode(_ bytes: UnsafeRawBufferPointer) -> HeaderStep {
        var length = UInt64(bytes[1] & 0x7F)
        var cursor = 2
        if length >= 126 {
            let width = length == 126 ? 2 : 8
            length = bytes[2..<(2 + width)].reduce(0) { $0 << 8 | UInt64($1) }
            cursor += width
        }
        if length >> 63 != 0 { return .failure(.protocolError, "64-bit payload length with the top bit set") }
        if expectMasked {
            maskKey = bytes.loadUnaligned(fromByteOffset: cursor, as: UInt32.self)
        }
        maskPhase = 0
        remaining = length
        return .complete
    }
}
