#if canImport(Glibc)
import Glibc
#endif
import PerchServer
import PerchTestKit
import Testing

/// The example configurations in the README's Listeners section are real: each one parses,
/// TLS contexts included, once its certificate paths point at the test PKI.
@Suite("README examples")
struct ReadmeExampleTests {
    /// README.md at the package root (two levels above this file).
    static var readme: String {
        let here = #filePath
        var root = Substring(here)
        for _ in 0..<3 { root = root[..<(root.lastIndex(of: "/") ?? root.startIndex)] }
        let fd = open(String(root) + "/README.md", O_RDONLY)
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
        let text = readme
        guard let start = text.firstRange(of: "\n## \(section)\n") else { return [] }
        let rest = text[start.upperBound...]
        let body = rest[..<(rest.firstRange(of: "\n## ")?.lowerBound ?? rest.endIndex)]
        let parts = body.split(separator: "```", omittingEmptySubsequences: false).map(String.init)
        // Odd parts are inside fences; "sh" blocks are commands, not configuration.
        return stride(from: 1, to: parts.count, by: 2).map { parts[$0] }
            .filter { $0.hasPrefix("\n") && $0.contains("listener ") }
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

extension String {
    /// Every occurrence of `target` replaced (no Foundation here).
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
