#if canImport(Glibc)
import Glibc
#endif
import PerchCodec
import PerchServer
import PerchTestKit
import Testing

/// Issue 12 defect 1: a message of 8 MiB or more was accepted (PUBACK) but could never be
/// delivered: the fixed 8 MiB output limit closed a live subscriber, every reconnect of a
/// persistent session holding one (before its CONNACK), and every subscriber matching such
/// a retained message. Large payloads now stream to the socket from the shared message.
@Suite("End to end: messages larger than the output limits")
struct LargeMessageTests {
    /// A payload whose bytes tell where they are: a block of a prime length (65,521) that
    /// no piece size divides, repeated, so a lost, doubled or misplaced piece shows.
    static func payload(_ count: Int, seed: UInt8) -> [UInt8] {
        let block = (0..<65_521).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) &+ seed }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + block.count)
        while bytes.count < count { bytes += block }
        return Array(bytes[0..<count])
    }

    static func acked(_ client: RawClient) throws {
        _ = try client.receive(timeout: 20) { if case .puback = $0 { true } else { false } }
    }

    @Test("[v5 MQTT-3.3.4-1] [v311 MQTT-3.3.4-1] a 9 MiB and a 20 MiB QoS 1 message reach a live subscriber whole, in order with the small ones; another client is served meanwhile",
          arguments: [ProtocolVersion.v311, .v5])
    func liveSubscriber(version: ProtocolVersion) throws {
        let test = try TestServer()
        defer { test.stop() }
        let subscriber = try RawClient(port: test.port)
        try subscriber.connect(version: version, clientID: "big-sub")
        try subscriber.subscribe("big/#", qos: .atLeastOnce)
        let publisher = try RawClient(port: test.port)
        try publisher.connect(version: version, clientID: "big-pub")
        let sizes = [9 << 20, 10, 20 << 20, 3]
        for (n, size) in sizes.enumerated() {
            try publisher.publish("big/\(n)", Self.payload(size, seed: UInt8(n)), qos: .atLeastOnce, packetID: UInt16(n + 1))
        }
        for _ in sizes { try Self.acked(publisher) }
        let other = try RawClient(port: test.port)
        try other.connect(version: .v311, clientID: "other")
        try other.send(.pingreq)
        _ = try other.receive { $0 == .pingresp }
        for (n, size) in sizes.enumerated() {
            let delivered = try subscriber.receivePublish(timeout: 30)
            #expect(delivered.topic == "big/\(n)")
            #expect(delivered.payload == Self.payload(size, seed: UInt8(n)))
            if let id = delivered.packetID { try subscriber.send(.puback(PubAck(packetID: id))) }
        }
        try subscriber.send(.pingreq)
        _ = try subscriber.receive { $0 == .pingresp }
    }

    @Test("[v311 MQTT-3.1.2-5] a persistent session holding two 9 MiB messages reconnects and gets both (the session was unusable: closed before CONNACK)")
    func persistentSession() throws {
        let test = try TestServer()
        defer { test.stop() }
        let subscriber = try RawClient(port: test.port)
        try subscriber.connect(version: .v311, clientID: "offline", cleanStart: false)
        try subscriber.subscribe("big", qos: .atLeastOnce)
        subscriber.disconnect()
        let publisher = try RawClient(port: test.port)
        try publisher.connect(version: .v311, clientID: "pub")
        for n in 1...2 {
            try publisher.publish("big", Self.payload(9 << 20, seed: UInt8(n)), qos: .atLeastOnce, packetID: UInt16(n))
            try Self.acked(publisher)
        }
        let back = try RawClient(port: test.port)
        let connack = try back.connect(version: .v311, clientID: "offline", cleanStart: false)
        #expect(connack.sessionPresent)
        for n in 1...2 {
            let delivered = try back.receivePublish(timeout: 30)
            #expect(delivered.payload == Self.payload(9 << 20, seed: UInt8(n)))
            if let id = delivered.packetID { try back.send(.puback(PubAck(packetID: id))) }
        }
    }

    @Test("[v5 MQTT-3.3.1-9] [v311 MQTT-3.3.1-6] a retained 12 MiB message reaches every matching new subscriber, over TCP and WebSocket")
    func retained() throws {
        let (test, webSocketPort) = try WebSocketServerTests.server()
        defer { test.stop() }
        let publisher = try RawClient(port: test.port)
        try publisher.connect(version: .v5, clientID: "pub")
        let body = Self.payload(12 << 20, seed: 9)
        try publisher.publish("state/big", body, qos: .atLeastOnce, retain: true, packetID: 1)
        try Self.acked(publisher)
        var subscribers: [RawClient] = []
        for n in 0..<3 {
            let client = n == 2 ? try WebSocketServerTests.webSocketClient(webSocketPort) : try RawClient(port: test.port)
            try client.connect(version: n == 0 ? .v311 : .v5, clientID: "sub-\(n)")
            try client.subscribe("state/+", qos: .atMostOnce)
            subscribers.append(client)
        }
        for client in subscribers {
            let delivered = try client.receivePublish(timeout: 30)
            #expect(delivered.retain)
            #expect(delivered.payload == body)
        }
    }

    /// VmHWM / VmRSS of a process, in bytes.
    static func memory(_ pid: pid_t, _ key: String) -> Int? {
        guard let fd = Optional(open("/proc/\(pid)/status", O_RDONLY)), fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "").map { $0 * 1024 }
    }

    @Test("[v5 interp] a 24 MiB message to 10 subscribers raises the broker's peak memory by about its size once, not once per subscriber")
    func peakMemoryNearOnce() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let executable = ExecutableTests()
        let process = try executable.startPerch(directory)
        defer { process.signal(SIGTERM); _ = process.waitForExit() }
        let port = try #require(executable.listeningPort(process))
        var subscribers: [RawClient] = []
        for n in 0..<10 {
            let client = try RawClient(port: port)
            try client.connect(version: .v311, clientID: "fan-\(n)")
            try client.subscribe("fan/big", qos: .atMostOnce)
            subscribers.append(client)
        }
        let before = try #require(Self.memory(process.pid, "VmRSS"))
        let body = Self.payload(24 << 20, seed: 3)
        let publisher = try RawClient(port: port)
        try publisher.connect(version: .v311, clientID: "fan-pub")
        try publisher.publish("fan/big", body, qos: .atMostOnce)
        for client in subscribers {
            #expect(try client.receivePublish(timeout: 30).payload == body)
        }
        let peak = try #require(Self.memory(process.pid, "VmHWM"))
        print("LARGE peak \(peak >> 10) kB, before \(before >> 10) kB, message \(body.count >> 10) kB")
        #expect(peak - before < body.count * 2)
    }
}
