import PerchStreams
import Testing

/// Protocol errors and the closing handshake: the exact close frame in `down`, `.close`
/// naming the error, and silence afterwards — at every split of the input.
@Suite("WebSocket errors and close")
struct WebSocketErrorTests {
    /// Feeds `stream` (split every way) to an open server, expects `up`, then exactly
    /// `down`, then a `.close` whose reason contains `reason`; then checks the server is silent.
    static func expectClose(
        _ stream: [UInt8], up: [UInt8] = [], down: [UInt8], reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let outcome = WS.splitInvariant(stream, sourceLocation: sourceLocation)
        #expect(outcome.up == up, sourceLocation: sourceLocation)
        #expect(outcome.down == down, sourceLocation: sourceLocation)
        #expect(outcome.isClosed && outcome.reason.contains(reason), "\(outcome.reason)", sourceLocation: sourceLocation)
        var server = WS.openServer()
        _ = WS.feed(&server, [stream[...]])
        #expect(server.isClosed && server.bufferedByteCount == 0, sourceLocation: sourceLocation)
        var later = WS.Outcome()
        let status = server.receive(WS.binary(WS.pingreq) + WS.frame(WS.Op.ping, [1]), up: &later.up, down: &later.down)
        server.send(WS.publish, down: &later.down)
        server.close(code: .normal, down: &later.down)
        #expect(status != .open && later.up.isEmpty && later.down.isEmpty, sourceLocation: sourceLocation)
    }

    // MARK: protocol errors

    @Test("[v5 interp] an unmasked client frame gets close 1002 (RFC 6455 5.1)")
    func unmasked() {
        Self.expectClose(WS.binary(WS.connect, mask: nil), down: WS.serverClose(1002), reason: "unmasked client frame (close 1002)")
        Self.expectClose(WS.frame(WS.Op.ping, [], mask: nil), down: WS.serverClose(1002), reason: "unmasked client frame")
    }

    @Test("[v5 interp] RSV bits without a negotiated extension get close 1002 (RFC 6455 5.2)", arguments: [UInt8(4), 2, 1, 7])
    func reservedBits(rsv: UInt8) {
        Self.expectClose(WS.frame(WS.Op.binary, WS.connect, rsv: rsv), down: WS.serverClose(1002), reason: "RSV bits set")
    }

    @Test("[v5 interp] unknown opcodes get close 1002 (RFC 6455 5.2)", arguments: [UInt8(3), 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
    func unknownOpcode(opcode: UInt8) {
        Self.expectClose(WS.frame(opcode, [1, 2]), down: WS.serverClose(1002), reason: "unknown opcode \(opcode)")
    }

    @Test("[v5 MQTT-6.0.0-1] [v311 MQTT-6.0.0-1] a text frame gets close 1003, fragmented or not")
    func textFrame() {
        Self.expectClose(WS.frame(WS.Op.text, WS.bytes("{\"a\":1}")), down: WS.serverClose(1003), reason: "text frame")
        Self.expectClose(WS.frame(WS.Op.text, WS.bytes("{"), fin: false), down: WS.serverClose(1003), reason: "text frame (MQTT needs binary frames) (close 1003)")
    }

    @Test("[v5 MQTT-6.0.0-1] [v311 MQTT-6.0.0-1] MQTT bytes before a text frame still go up; the text frame's do not")
    func textAfterBinary() {
        Self.expectClose(WS.binary(WS.connect) + WS.frame(WS.Op.text, WS.pingreq) + WS.binary(WS.pingreq),
                         up: WS.connect, down: WS.serverClose(1003), reason: "text frame")
    }

    @Test("[v5 interp] a 64-bit length with the top bit set gets close 1002 (RFC 6455 5.2)",
          arguments: [UInt64(1) << 63, UInt64.max, (UInt64(1) << 63) + 5])
    func hugeLength(length: UInt64) {
        Self.expectClose(WS.frame(WS.Op.binary, [], length: length) + [1, 2, 3], down: WS.serverClose(1002),
                         reason: "64-bit payload length with the top bit set")
    }

    @Test("[v5 interp] the largest legal 64-bit length is accepted and streams (RFC 6455 5.2)")
    func largestLength() {
        let outcome = WS.splitInvariant(WS.frame(WS.Op.binary, [], length: (UInt64(1) << 63) - 1) + [1, 2, 3])
        #expect(outcome.status == .open && outcome.up == [1, 2, 3].enumerated().map { $0.element ^ WS.rfcMask[$0.offset] })
    }

    @Test("[v5 interp] a control frame without FIN gets close 1002 (RFC 6455 5.5)", arguments: [WS.Op.close, WS.Op.ping, WS.Op.pong])
    func fragmentedControl(opcode: UInt8) {
        Self.expectClose(WS.frame(opcode, [], fin: false), down: WS.serverClose(1002), reason: "fragmented control frame")
    }

    @Test("[v5 interp] a control frame over 125 bytes gets close 1002, as does a 16-bit length on a control frame (RFC 6455 5.5)", arguments: [WS.Op.close, WS.Op.ping, WS.Op.pong])
    func longControl(opcode: UInt8) {
        Self.expectClose(WS.frame(opcode, [UInt8](repeating: 0x41, count: 126)), down: WS.serverClose(1002),
                         reason: "control frame payload over 125 bytes")
        Self.expectClose(WS.frame(opcode, [1, 2], form: .sixteen), down: WS.serverClose(1002), reason: "over 125 bytes")
    }

    @Test("[v5 interp] a continuation frame without a message to continue gets close 1002 (RFC 6455 5.4)")
    func strayContinuation() {
        Self.expectClose(WS.frame(WS.Op.continuation, WS.connect), down: WS.serverClose(1002), reason: "continuation frame without a message")
        Self.expectClose(WS.binary(WS.connect) + WS.frame(WS.Op.continuation, WS.pingreq, fin: false), up: WS.connect,
                         down: WS.serverClose(1002), reason: "continuation frame without a message")
    }

    @Test("[v5 interp] a new data frame inside a fragmented message gets close 1002 (RFC 6455 5.4)")
    func interleavedData() {
        Self.expectClose(WS.binary(WS.connect, fin: false) + WS.frame(WS.Op.ping, [7]) + WS.binary(WS.pingreq), up: WS.connect,
                         down: [0x8A, 0x01, 7] + WS.serverClose(1002), reason: "new data frame inside a fragmented message")
    }

    // MARK: close from the client

    @Test("[v5 interp] a client close is echoed with its code and ends the stream (RFC 6455 5.5.1)",
          arguments: [UInt16(1000), 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1014, 3000, 3999, 4000, 4999])
    func clientClose(code: UInt16) {
        Self.expectClose(WS.frame(WS.Op.close, WS.closePayload(code)), down: WS.serverClose(code),
                         reason: "peer sent WebSocket close \(code)")
    }

    @Test("[v5 interp] a close with a reason is echoed with the code only; the reason is logged")
    func closeWithReason() {
        let outcome = WS.splitInvariant(WS.frame(WS.Op.close, WS.closePayload(1001, "bye ✓")))
        #expect(outcome == WS.Outcome(up: [], down: WS.serverClose(1001), status: .close(reason: "peer sent WebSocket close 1001 \"bye ✓\"")))
    }

    @Test("[v5 interp] an empty close is answered with 1000 (RFC 6455 5.5.1, 7.1.5)")
    func emptyClose() {
        let outcome = WS.splitInvariant(WS.frame(WS.Op.close, []))
        #expect(outcome == WS.Outcome(up: [], down: WS.serverClose(1000), status: .close(reason: "peer sent WebSocket close without a code")))
    }

    @Test("[v5 interp] a close with a 1-byte payload gets close 1002 (RFC 6455 5.5.1)")
    func oneByteClose() {
        Self.expectClose(WS.frame(WS.Op.close, [0x03]), down: WS.serverClose(1002), reason: "close frame with a 1-byte payload")
    }

    @Test("[v5 interp] a close with a code not allowed on the wire gets close 1002 (RFC 6455 7.4)",
          arguments: [UInt16(0), 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535])
    func invalidCloseCode(code: UInt16) {
        Self.expectClose(WS.frame(WS.Op.close, WS.closePayload(code)), down: WS.serverClose(1002),
                         reason: "close frame with invalid code \(code)")
    }

    @Test("[v5 interp] a close reason that is not UTF-8 gets close 1007 (RFC 6455 8.1)")
    func invalidCloseReason() {
        Self.expectClose(WS.frame(WS.Op.close, WS.closePayload(1000) + [0xC3, 0x28]), down: WS.serverClose(1007),
                         reason: "close reason is not UTF-8 (close 1007)")
    }

    @Test("[v5 interp] bytes after a close are ignored, even a complete MQTT packet")
    func bytesAfterClose() {
        Self.expectClose(WS.binary(WS.connect) + WS.frame(WS.Op.close, WS.closePayload(1000)) + WS.binary(WS.publish) + [0x82, 0xFF],
                         up: WS.connect, down: WS.serverClose(1000), reason: "peer sent WebSocket close 1000")
    }

    @Test("[v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-2] a close in the middle of an MQTT packet is just a close")
    func closeMidPacket() {
        Self.expectClose(WS.binary(Array(WS.publish.prefix(5))) + WS.frame(WS.Op.close, WS.closePayload(1001)),
                         up: Array(WS.publish.prefix(5)), down: WS.serverClose(1001), reason: "peer sent WebSocket close 1001")
    }

    @Test("[v5 interp] a close between the fragments of a message is a close")
    func closeMidMessage() {
        Self.expectClose(WS.binary(WS.connect, fin: false) + WS.frame(WS.Op.close, WS.closePayload(1000)), up: WS.connect,
                         down: WS.serverClose(1000), reason: "peer sent WebSocket close 1000")
    }

    @Test("[v5 interp] after a protocol error the rest of the same read is ignored")
    func errorStopsTheRead() {
        Self.expectClose(WS.binary(WS.connect) + WS.binary(WS.pingreq, mask: nil) + WS.frame(WS.Op.ping, [1]),
                         up: WS.connect, down: WS.serverClose(1002), reason: "unmasked client frame")
    }
}
