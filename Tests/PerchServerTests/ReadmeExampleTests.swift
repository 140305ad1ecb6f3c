#if canImport(Glibc)
import Glibc
#endif
import PerchAccess
import PerchCodec
import PerchServer
import PerchStreams
import PerchTestKit
import Testing

/// The example configurations in the README's Listeners section are real: each one parses,
/// TLS contexts included, once its certificate paths point at the test PKI.
@Suite("README examples")
struct ReadmeExampleTests {
    /// README.md at the package root.
    static var readme: String { packageFile("README.md") }

    /// A file of the package by its path from the root (two levels above this file); empty
    /// when it cannot be read.
    static func packageFile(_ path: String) -> String {
        let here = #filePath
        var root = Substring(here)
        for _ in 0..<3 { root = root[..<(root.lastIndex(of: "/") ?? root.startIndex)] }
        let fd = open(String(root) + "/" + path, O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The unlabelled code blocks of one section that hold a `listener` line.
    static func configBlocks(section: String) -> [String] {
        blocks(section: section).filter { $0.contains("listener ") }
    }

    /// The unlabelled code blocks of one section.
    static func blocks(section: String) -> [String] {
        let text = readme
        guard let start = text.firstRange(of: "\n## \(section)\n") else { return [] }
        let rest = text[start.upperBound...]
        let body = rest[..<(rest.firstRange(of: "\n## ")?.lowerBound ?? rest.endIndex)]
        let parts = body.split(separator: "```", omittingEmptySubsequences: false).map(String.init)
        // Odd parts are inside fences; "sh" blocks are commands, not configuration.
        return stride(from: 1, to: parts.count, by: 2).map { parts[$0] }
            .filter { $0.hasPrefix("\n") }
    }

    @Test("every listener example in the README parses, with its TLS files loaded")
    func listenerExamples() throws {
        let pki = try TestCertificates.shared()
        let blocks = Self.configBlocks(section: "Listeners")
        #expect(blocks.count >= 6, "README Listeners examples: \(blocks.count)")
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        var kinds = Set<String>()
        for block in blocks {
            let text = block
                .replacingAll("/etc/perch/certs/server.crt", pki.serverCertificate)
                .replacingAll("/etc/perch/certs/server.key", pki.serverKey)
                .replacingAll("/etc/perch/certs/ca.crt", pki.caCertificate)
                .replacingAll("/etc/perch/certs/revoked.crl", pki.crl)
                .replacingAll("/etc/perch/psk", pki.pskFile)
                .replacingAll("/run/perch/perch.sock", directory + "/perch.sock")
            let configuration = try ConfigFile.parse(text, file: "README.md")
            for listener in configuration.listeners {
                if listener.unixSocketPath != nil { kinds.insert("unix") }
                if listener.tls?.pskHint != nil { kinds.insert("psk") }
                if listener.tls?.requireCertificate == true && listener.identity == .commonName { kinds.insert("mtls") }
                switch (listener.protocol, listener.tls != nil) {
                case (.mqtt, false): kinds.insert("plain")
                case (.mqtt, true): kinds.insert("tls")
                case (.websockets, false): kinds.insert("websockets")
                case (.websockets, true): kinds.insert("wss")
                }
            }
        }
        #expect(kinds == ["plain", "tls", "mtls", "psk", "websockets", "wss", "unix"])
    }
}

extension ReadmeExampleTests {
    @Test("the README's secure gateway works as written: TLS with passwords and ACL patterns for devices, a localhost listener for services")
    func secureGateway() throws {
        let pki = try TestCertificates.shared()
        let blocks = Self.blocks(section: "Access control")
        let config = try #require(blocks.first { $0.contains("listener ") })
        let acl = try #require(blocks.first { $0.contains("pattern ") })
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        writeFile(directory + "/acl", acl)
        var passwords = PasswordFile()
        for (user, password) in [("device-1", "d1 pw"), ("device-2", "d2 pw"), ("dashboard", "dash pw")] {
            passwords.set(.init(username: user, secret: .hashed(try PasswordHash(hashing: Array(password.utf8), algorithm: .pbkdf2))))
        }
        writeFile(directory + "/passwd", passwords.text)
        let text = config
            .replacingAll("/etc/perch/certs/server.crt", pki.serverCertificate)
            .replacingAll("/etc/perch/certs/server.key", pki.serverKey)
            .replacingAll("/etc/perch/passwd", directory + "/passwd")
            .replacingAll("/etc/perch/acl", directory + "/acl")
            .replacingAll("listener 8883", "listener 0 127.0.0.1")
            .replacingAll("listener 1883 127.0.0.1", "listener 0 127.0.0.1")
        let parsed = try ConfigFile.parse(text, file: "README.md")
        let test = try TestServer(listenersAndAccessOf: parsed)
        defer { test.stop() }
        let ports = test.server.listeningPorts
        func device(_ user: String, _ password: String) throws -> RawClient {
            let client = try RawClient(port: ports[0])
            try client.connectLayers(ClientStreamStack(tls: try TLSContext(.testClient(pki)), webSocketKey: nil))
            return client
        }
        let dashboard = try device("dashboard", "dash pw")
        #expect(try dashboard.connect(version: .v5, clientID: "dash", username: "dashboard", password: "dash pw").reason == .success)
        try dashboard.subscribe("devices/+/telemetry/#", qos: .atLeastOnce)
        let one = try device("device-1", "d1 pw")
        #expect(try one.connect(version: .v311, clientID: "d1", username: "device-1", password: "d1 pw").reason == .success)
        #expect(try one.subscribe("devices/device-2/commands/#", qos: .atLeastOnce).first?.isFailure == true) // 3.1.1: 0x80
        try one.publish("devices/device-2/telemetry/temp", Array("forged".utf8), qos: .atLeastOnce, packetID: 1)
        try one.publish("devices/device-1/telemetry/temp", Array("21.5".utf8), qos: .atLeastOnce, packetID: 2)
        #expect(try dashboard.receivePublish().payload == Array("21.5".utf8))
        let anonymousDevice = try device("", "")
        #expect(try anonymousDevice.connect(version: .v5, clientID: "x").reason == .notAuthorized)
        let wrong = try device("device-2", "nope")
        #expect(try wrong.connect(version: .v5, clientID: "d2", username: "device-2", password: "nope").reason == .badUserNameOrPassword)
        let service = try RawClient(port: ports[1]) // localhost: anonymous, no ACL
        #expect(try service.connect(version: .v311, clientID: "svc").reason == .success)
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation here).
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
