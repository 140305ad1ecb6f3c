import PerchStreams
import Testing

/// Server frames out: one unmasked binary frame with FIN per batch, the minimal length form.
@Suite("WebSocket frames out")
struct WebSocketSendTests {
    @Test("[v5 MQTT-6.0.0-1] [v311 MQTT-6.0.0-1] a batch of MQTT bytes goes out as one unmasked binary frame with FIN",
          arguments: [1, 2, 125, 126, 256, 65535, 65536, 70000])
    func lengths(count: Int) {
        var server = WS.openServer()
        let batch = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var down: [UInt8] = [0xAA]  // appended to, not replaced
        server.send(batch, down: &down)
        #expect(down == [0xAA] + WS.frame(WS.Op.binary, batch, mask: nil))
    }

    @Test("[v5 interp] the RFC 6455 5.7 headers for 256 bytes and 64 KiB")
    func rfcHeaders() {
        var server = WS.openServer()
        var down: [UInt8] = []
        server.send([UInt8](repeating: 0, count: 256), down: &down)
        #expect(Array(down.prefix(4)) == [0x82, 0x7E, 0x01, 0x00] && down.count == 260)
        down = []
        server.send([UInt8](repeating: 0, count: 65536), down: &down)
        #expect(Array(down.prefix(10)) == [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00] && down.count == 65546)
    }

    @Test("[v5 interp] send is a no-op for an empty payload and before the handshake completes")
    func noOps() {
        var server = WS.openServer()
        var down: [UInt8] = []
        server.send([], down: &down)
        #expect(down.isEmpty)
        var fresh = WebSocketServer()
        fresh.send(WS.connect, down: &down)
        var up: [UInt8] = []
        _ = fresh.receive(WS.bytes("GET /mqtt HTTP/1.1\r\n"), up: &up, down: &down)
        fresh.send(WS.connect, down: &down)
        #expect(down.isEmpty)
    }

    @Test("[v5 interp] close appends one close frame, once; later sends and closes are dropped")
    func closeOnce() {
        var server = WS.openServer()
        var down: [UInt8] = []
        server.send(WS.pingreq, down: &down)
        server.close(code: .goingAway, down: &down)
        server.close(code: .normal, down: &down)
        server.send(WS.publish, down: &down)
        #expect(down == WS.frame(WS.Op.binary, WS.pingreq, mask: nil) + WS.serverClose(1001))
        #expect(server.isOpen && server.isClosed)
        var up: [UInt8] = []
        #expect(server.receive(WS.frame(WS.Op.close, WS.closePayload(1001)), up: &up, down: &down) != .open)
        #expect(up.isEmpty && down.count == 2 + WS.pingreq.count + 4)
    }

    @Test("[v5 interp] close carries a short reason, cut to 125 bytes at a character boundary (RFC 6455 5.5)")
    func closeReason() {
        var server = WS.openServer()
        var down: [UInt8] = []
        server.close(code: .policyViolation, reason: "bye", down: &down)
        #expect(down == [0x88, 0x05, 0x03, 0xF0] + WS.bytes("bye"))
        var long = WS.openServer()
        down = []
        long.close(code: .messageTooBig, reason: String(repeating: "é", count: 100), down: &down)  // 2 bytes each
        #expect(down.count == 2 + 2 + 122 && down[1] == 124 && Array(down[2...3]) == [0x03, 0xF1])
        #expect(String(validating: down[4...], as: UTF8.self) == String(repeating: "é", count: 61))
    }

    @Test("[v5 interp] the close codes have their RFC 6455 7.4.1 values")
    func closeCodes() {
        let codes: [(WebSocketCloseCode, UInt16)] = [(.normal, 1000), (.goingAway, 1001), (.protocolError, 1002), (.unsupportedData, 1003),
                                                     (.invalidPayload, 1007), (.policyViolation, 1008), (.messageTooBig, 1009), (.internalError, 1011)]
        for (code, value) in codes { #expect(code.rawValue == value && code == WebSocketCloseCode(rawValue: value)) }
    }
}
