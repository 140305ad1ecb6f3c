/// Collects an HTTP/1.1 head — start line, header fields, empty line — across reads, for the
/// WebSocket opening handshake on either side.
///
/// It holds at most `limit` bytes (the head must fit, terminating empty line included) and
/// releases them once the head is complete. Bytes that can never start a head are refused
/// as soon as they arrive, so a client speaking something else (an MQTT CONNECT, a TLS
/// ClientHello sent to a plain port) gets its answer at once instead of waiting for a head
/// end that will never come:
/// - a control byte other than CR, LF and HT, or DEL;
/// - a CR not followed by LF, or an LF not preceded by CR;
/// - a first line that is not a request (or status) line, as soon as its CRLF arrives.
struct HTTPHeadBuffer: Sendable {
    enum Step: Equatable {
        /// Keep feeding.
        case incomplete
        /// The head, through its empty line; `consumed` bytes of this read belong to it.
        case complete(head: [UInt8], consumed: Int)
        /// `limit` bytes arrived without the end of the head.
        case tooLarge
        /// Not an HTTP head; says why.
        case malformed(String)
    }

    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A
    private static let tab: UInt8 = 0x09

    let limit: Int
    private var bytes: [UInt8] = []
    private var startLineChecked = false

    init(limit: Int) { self.limit = max(limit, 4) }

    /// Bytes held (0 before the first read and after the head is complete).
    var bufferedByteCount: Int { bytes.count }

    /// Takes the next read. `startLine` judges the first line (without its CRLF) and returns
    /// what is wrong with it, or nil.
    mutating func append(_ input: UnsafeRawBufferPointer, startLine: (ArraySlice<UInt8>) -> String?) -> Step {
        let old = bytes.count
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[..<min(input.count, limit - old)]))
        for index in old..<bytes.count {
            if let problem = check(at: index, startLine: startLine) {
                bytes = []
                return .malformed(problem)
            }
            if index >= 3, isHeadEnd(at: index) {
                var head: [UInt8] = []
                swap(&head, &bytes)
                head.removeSubrange((index + 1)...)
                return .complete(head: head, consumed: index + 1 - old)
            }
        }
        guard bytes.count >= limit else { return .incomplete }
        bytes = []
        return .tooLarge
    }

    /// The rules one byte can break, looking back at the byte before it.
    private mutating func check(at index: Int, startLine: (ArraySlice<UInt8>) -> String?) -> String? {
        let byte = bytes[index]
        let previous = index > 0 ? bytes[index - 1] : 0
        if (byte < 0x20 && byte != Self.cr && byte != Self.lf && byte != Self.tab) || byte == 0x7F {
            return "byte 0x\(String(byte, radix: 16)) at offset \(index) is not part of an HTTP head"
        }
        if previous == Self.cr, byte != Self.lf { return "CR not followed by LF at offset \(index - 1)" }
        guard byte == Self.lf else { return nil }
        if previous != Self.cr { return "LF without CR at offset \(index)" }
        guard !startLineChecked else { return nil }
        startLineChecked = true
        return startLine(bytes[..<(index - 1)])
    }

    private func isHeadEnd(at index: Int) -> Bool {
        bytes[index] == Self.lf && bytes[index - 1] == Self.cr && bytes[index - 2] == Self.lf
            && bytes[index - 3] == Self.cr
    }
}
