#if canImport(Glibc)
import Glibc
#endif
import Logging
import PerchCodec
import PerchServer
import PerchTestKit
import Testing

/// Listener kinds and per-listener options of a real `Server` over loopback: a Unix domain
/// socket beside TCP, `max_connections` per listener, `mount_point`.
@Suite("Listeners")
struct ListenerTests {
    @Test("[v311 MQTT-3.3.4-1] a Unix socket listener serves MQTT beside TCP; a stale socket file is replaced and removed at shutdown")
    func unixSocket() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/perch.sock"
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0) // a socket file left by a crash
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8 + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(stale)
        let test = try TestServer { $0.listeners.append(.init(unixSocketPath: path)) }
        let local = try RawClient(unixSocketPath: path)
        #expect(try local.connect(version: .v5, clientID: "local").reason == .success)
        #expect(try local.subscribe("gw/#", qos: .atMostOnce) == [.granted(.atMostOnce)])
        let device = try RawClient(port: test.port)
        try device.connect(version: .v311, clientID: "device")
        try device.publish("gw/t", Array("21.5".utf8))
        #expect(try local.receivePublish().payload == Array("21.5".utf8))
        test.stop()
        #expect(access(path, F_OK) != 0, "the socket file is removed at shutdown")
    }

    @Test("a path that is not a socket is not replaced: the start fails naming it")
    func unixSocketOverRegularFile() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/not-a-socket"
        writeFile(path, "keep me")
        #expect {
            _ = try TestServer { $0.listeners.append(.init(unixSocketPath: path)) }
        } throws: { error in
            "\(error)".contains("\(path): exists and is not a socket")
        }
        #expect(access(path, F_OK) == 0)
    }

    @Test("[v5 interp] max_connections of one listener refuses its extra connections; another listener still accepts")
    func perListenerLimit() throws {
        let capture = LogCapture()
        let test = try TestServer(logger: Logger(label: "t", factory: capture.handlerFactory)) {
            $0.listeners[0].maxConnections = 1
            $0.listeners.append(.init(address: "127.0.0.1", port: 0))
        }
        let ports = test.server.listeningPorts
        let first = try RawClient(port: ports[0])
        #expect(try first.connect(version: .v311, clientID: "first").reason == .success)
        let second = try RawClient(port: ports[0])
        #expect(second.waitForEOF(), "closed at once: the listener is full")
        let other = try RawClient(port: ports[1])
        #expect(try other.connect(version: .v311, clientID: "other").reason == .success)
        test.stop()
        #expect(!capture.matching("connection limit 1 reached").isEmpty)
    }

    @Test("[v5 interp] mount_point over loopback: a mounted listener's clients publish and subscribe below the prefix")
    func mountPoint() throws {
        let test = try TestServer {
            var mounted = ServerConfiguration.Listener(address: "127.0.0.1", port: 0)
            mounted.mountPoint = "site1/"
            $0.listeners.append(mounted)
        }
        let ports = test.server.listeningPorts
        defer { test.stop() }
        let plain = try RawClient(port: ports[0])
        try plain.connect(version: .v311, clientID: "plain")
        _ = try plain.subscribe("#", qos: .atMostOnce)
        let device = try RawClient(port: ports[1])
        try device.connect(version: .v5, clientID: "device")
        _ = try device.subscribe("cmd/+", qos: .atMostOnce)
        try device.publish("temp", Array("1".utf8))
        #expect(try plain.receivePublish().topic == "site1/temp")
        try plain.publish("site1/cmd/reboot", Array("now".utf8))
        let command = try device.receivePublish()
        #expect(command.topic == "cmd/reboot")
    }
}
