#if canImport(Glibc)
import Glibc
#endif
import PerchAccess
import PerchCodec
import PerchServer
import PerchStreams
import PerchTestKit
import Testing

/// Examples/gateway is a working deployment: `perch --test-config` accepts it once its
/// paths point at test files, and a device and a local service talk through it as its
/// comments say.
@Suite("Examples/gateway", .serialized)
struct GatewayExampleTests {
    /// gateway.conf with its /etc, /run and /var paths moved into `directory`, which gets
    /// the example's ACL and a password file for device-1 and the dashboard.
    static func prepare(in directory: String, pki: TestCertificates) throws -> String {
        writeFile(directory + "/acl", ReadmeExampleTests.packageFile("Examples/gateway/acl"))
        var passwords = PasswordFile()
        for (user, password) in [("device-1", "d1 pw"), ("dashboard", "dash pw")] {
            passwords.set(.init(username: user, secret: .hashed(try PasswordHash(hashing: Array(password.utf8), algorithm: .pbkdf2))))
        }
        writeFile(directory + "/passwd", passwords.text)
        mkdir(directory + "/data", 0o700)
        return ReadmeExampleTests.packageFile("Examples/gateway/gateway.conf")
            .replacingAll("/etc/perch/certs/server.crt", pki.serverCertificate)
            .replacingAll("/etc/perch/certs/server.key", pki.serverKey)
            .replacingAll("/etc/perch/certs/ca.crt", pki.caCertificate)
            .replacingAll("/etc/perch/certs/revoked.crl", pki.crl)
            .replacingAll("/etc/perch/passwd", directory + "/passwd")
            .replacingAll("/etc/perch/acl", directory + "/acl")
            .replacingAll("/run/perch/perch.sock", directory + "/perch.sock")
            .replacingAll("/var/lib/perch/", directory + "/data/")
    }

    @Test("perch --test-config accepts Examples/gateway/gateway.conf")
    func testConfig() throws {
        let pki = try TestCertificates.shared()
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory + "/data"); removeDirectory(directory) }
        let text = try Self.prepare(in: directory, pki: pki)
        #expect(text.contains("listener 8883") && !text.contains("/etc/perch"))
        writeFile(directory + "/gateway.conf", text)
        let process = try PerchProcess(["-c", directory + "/gateway.conf", "--test-config"])
        #expect(process.waitForExit() == 0)
        #expect(process.text.contains("configuration OK"), "\(process.text)")
    }

    @Test("[v5 MQTT-3.3.4-1] the gateway as configured: a device over TLS reaches a local service on the Unix socket within its ACL; the dashboard over wss needs its password")
    func deviceToService() throws {
        let pki = try TestCertificates.shared()
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory + "/data"); removeDirectory(directory) }
        let text = try Self.prepare(in: directory, pki: pki)
            .replacingAll("listener 8883", "listener 0 127.0.0.1")
            .replacingAll("listener 9443", "listener 0 127.0.0.1")
        let parsed = try ConfigFile.parse(text, file: "gateway.conf")
        #expect(parsed.listeners.map(\.protocol) == [.mqtt, .websockets, .mqtt])
        #expect(parsed.listeners.map { $0.tls != nil } == [true, true, false])
        let test = try TestServer(listenersAndAccessOf: parsed)
        defer { test.stop() }
        let ports = test.server.listeningPorts
        let service = try RawClient(unixSocketPath: directory + "/perch.sock", version: .v5)
        #expect(try service.connect(version: .v5, clientID: "rules").reason == .success) // anonymous on the socket
        try service.subscribe("sensors/#", qos: .atLeastOnce)
        let device = try RawClient(port: ports[0])
        try device.connectLayers(ClientStreamStack(tls: try TLSContext(.testClient(pki)), webSocketKey: nil))
        #expect(try device.connect(version: .v311, clientID: "d1", username: "device-1", password: "d1 pw").reason == .success)
        try device.publish("sensors/device-2/temp", Array("forged".utf8), qos: .atLeastOnce, packetID: 1) // the ACL drops it
        try device.publish("sensors/device-1/temp", Array("21.5".utf8), qos: .atLeastOnce, packetID: 2)
        let got = try service.receivePublish()
        #expect(got.topic == "sensors/device-1/temp" && got.payload == Array("21.5".utf8))
        let anonymous = try RawClient(port: ports[0])
        try anonymous.connectLayers(ClientStreamStack(tls: try TLSContext(.testClient(pki)), webSocketKey: nil))
        #expect(try anonymous.connect(version: .v5, clientID: "x").reason == .notAuthorized)
        func browser() throws -> RawClient {
            let client = try RawClient(port: ports[1])
            try client.connectLayers(ClientStreamStack(tls: try TLSContext(.testClient(pki)), webSocketKey: [UInt8](repeating: 5, count: 16)))
            return client
        }
        #expect(try browser().connect(version: .v5, clientID: "web").reason == .notAuthorized)
        let dashboard = try browser()
        #expect(try dashboard.connect(version: .v5, clientID: "dash", username: "dashboard", password: "dash pw").reason == .success)
        try dashboard.subscribe("sensors/#", qos: .atLeastOnce)
        try device.publish("sensors/device-1/humidity", Array("40".utf8), qos: .atLeastOnce, packetID: 3)
        #expect(try dashboard.receivePublish().payload == Array("40".utf8))
    }
}
