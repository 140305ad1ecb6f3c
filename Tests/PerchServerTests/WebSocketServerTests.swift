#if canImport(Glibc)
import Glibc
#endif
import PerchCodec
import PerchServer
import PerchStreams
import PerchTestKit
import Testing

/// MQTT over WebSocket through a real `Server` over loopback: the transport's stream layer
/// between socket and framer. (Frame-level behaviour is tested byte for byte in
/// PerchStreamsTests; the interop tests use paho-mqtt and Chromium.)
@Suite("WebSocket listener")
struct WebSocketServerTests {
    /// A server with a plain listener (port 0) and a WebSocket listener (port 1).
    static func server() throws -> (TestServer, UInt16) {
        let test = try TestServer {
            var webSocket = ServerConfiguration.Listener(address: "127.0.0.1", port: 0)
            webSocket.protocol = .websockets
            $0.listeners.append(webSocket)
        }
        return (test, test.server.listeningPorts[1])
    }

    static func webSocketClient(_ port: UInt16, key: UInt8 = 7) throws -> RawClient {
        let client = try RawClient(port: port)
        try client.connectLayers(ClientStreamStack(tls: nil, webSocketKey: [UInt8](repeating: key, count: 16)))
        return client
    }

    @Test("[v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-2] [v5 MQTT-6.0.0-4] [v311 MQTT-6.0.0-4] WebSocket and TCP clients exchange messages both ways",
          arguments: [ProtocolVersion.v311, .v5])
    func crossTransport(version: ProtocolVersion) throws {
        let (test, port) = try Self.server()
        defer { test.stop() }
        let browser = try Self.webSocketClient(port)
        #expect(try browser.connect(version: version, clientID: "browser").reason == .success)
        #expect(try browser.subscribe("ws/in", qos: .atLeastOnce) == [.granted(.atLeastOnce)])
        let device = try RawClient(port: test.port)
        try device.connect(version: .v311, clientID: "device")
        _ = try device.subscribe("ws/out", qos: .atMostOnce)
        try device.publish("ws/in", Array("to the browser".utf8), qos: .atLeastOnce, packetID: 1)
        let received = try browser.receivePublish()
        #expect(received.payload == Array("to the browser".utf8))
        try browser.send(.puback(PubAck(packetID: try #require(received.packetID))))
        try browser.publish("ws/out", Array("from the browser".utf8))
        #expect(try device.receivePublish().payload == Array("from the browser".utf8))
    }

    @Test("[v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-2] many packets in one frame and a packet across frames are framed by MQTT, not by WebSocket")
    func packetsAcrossFrames() throws {
        let (test, port) = try Self.server()
        defer { test.stop() }
        let client = try RawClient(port: port)
        var key = [UInt8](repeating: 3, count: 16)
        key[0] = 9
        var socket = WebSocketClient(host: "localhost", key: key)
        try client.sendWire(socket.handshakeRequest())
        var up: [UInt8] = []
        var down: [UInt8] = []
        #expect(try client.readWire { socket.receive($0, up: &up, down: &down) == .open && socket.isOpen })
        var mqtt: [UInt8] = []
        Packet.connect(Connect(version: .v311, cleanStart: true, keepAlive: 0, clientID: "frames")).encode(version: .v311, into: &mqtt)
        Packet.pingreq.encode(version: .v311, into: &mqtt)
        Packet.pingreq.encode(version: .v311, into: &mqtt)
        // The CONNECT across three frames; the last frame also carries both PINGREQs.
        var wire: [UInt8] = []
        for piece in [mqtt[0..<3], mqtt[3..<9], mqtt[9...]] { socket.send(Array(piece), down: &wire) }
        try client.sendWire(wire)
        var answers: [UInt8] = []
        #expect(try client.readWire { socket.receive($0, up: &answers, down: &down) == .open && answers.count >= 8 })
        #expect(answers == [0x20, 2, 0, 0, 0xD0, 0, 0xD0, 0], "CONNACK and two PINGRESP, one frame for the batch")
    }

    @Test("[v5 MQTT-6.0.0-1] [v311 MQTT-6.0.0-1] a text frame gets close 1003 and the connection ends; others are still served")
    func textFrameCloses() throws {
        let (test, port) = try Self.server()
        defer { test.stop() }
        let client = try Self.webSocketClient(port)
        #expect(try client.connect(version: .v311, clientID: "texter").reason == .success)
        // A masked text frame "hi": FIN + opcode 1, MASK + length 2, key, masked payload.
        try client.sendWire([0x81, 0x82, 1, 2, 3, 4, UInt8(ascii: "h") ^ 1, UInt8(ascii: "i") ^ 2])
        #expect(client.expectClosed() != nil)
        #expect(client.lastLayerClose?.contains("1003") == true, "\(client.lastLayerClose ?? "no close frame")")
        let other = try Self.webSocketClient(port, key: 8)
        #expect(try other.connect(version: .v5, clientID: "other").reason == .success)
    }

    @Test("[v5 interp] a plain MQTT CONNECT sent to a WebSocket port gets HTTP 400 and a close")
    func plainMQTTRefused() throws {
        let (test, port) = try Self.server()
        defer { test.stop() }
        let client = try RawClient(port: port)
        var connect: [UInt8] = []
        Packet.connect(Connect(version: .v311, cleanStart: true, keepAlive: 0, clientID: "lost")).encode(version: .v311, into: &connect)
        try client.sendWire(connect + Array("\r\n\r\n".utf8))
        var response: [UInt8] = []
        _ = try? client.readWire { bytes in
            response += bytes
            return false
        }
        #expect(String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 400"))
    }
}

extension RawClient {
    /// Reads raw bytes, handing each chunk to `done` until it returns true (bounded).
    func readWire(timeout: Double = 5, _ done: (UnsafeRawBufferPointer) -> Bool) throws(Failure) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = PerchProcess.now() + timeout
        while PerchProcess.now() < deadline {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(max(1, (deadline - PerchProcess.now()) * 1000))) > 0 else { return false }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw .closed }
            if chunk[0..<n].withUnsafeBytes({ done($0) }) { return true }
        }
        return false
    }
}
