#if canImport(Glibc)
import Glibc
#endif
import PerchServer
import PerchStreams
import PerchTestKit
import Testing

/// TLS directives in the config file with real certificates (made by the test): a broken
/// setting stops the parse naming the file, the line and the directive.
@Suite("Config file: TLS")
struct ConfigFileTLSTests {
    let pki: TestCertificates

    init() throws {
        pki = try TestCertificates.shared()
    }

    func parseError(_ text: String) -> ConfigError? {
        do {
            _ = try ConfigFile.parse(text, file: "tls.conf")
            return nil
        } catch {
            return error
        }
    }

    var good: String {
        "listener 1883 127.0.0.1\nlistener 8883 127.0.0.1\ncertfile \(pki.serverCertificate)\nkeyfile \(pki.serverKey)\n"
    }

    @Test("certfile, keyfile, cafile, crlfile, require_certificate, use_identity_as_username, ciphers apply to their listener")
    func applied() throws {
        let configuration = try ConfigFile.parse(good + """
            cafile \(pki.caCertificate)
            crlfile \(pki.crl)
            require_certificate true
            use_identity_as_username true
            tls_version tlsv1.3
            ciphers_tls1.3 TLS_AES_128_GCM_SHA256
            listener 8884 127.0.0.1
            protocol websockets
            certfile \(pki.serverCertificate)
            keyfile \(pki.serverKey)
            """, file: "tls.conf")
        #expect(configuration.listeners.count == 3)
        #expect(configuration.listeners[0].tls == nil)
        let tls = try #require(configuration.listeners[1].tls)
        #expect(tls.caFile == pki.caCertificate && tls.crlFile == pki.crl && tls.requireCertificate)
        #expect(tls.minimumVersion == .tls13 && tls.cipherSuites == "TLS_AES_128_GCM_SHA256")
        #expect(configuration.listeners[1].identity == .commonName)
        #expect(configuration.listeners[2].protocol == .websockets && configuration.listeners[2].tls?.caFile == nil)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var lines: String
        var line: Int
        var directive: String
        var says: String
        var testDescription: String { directive + ": " + says }
    }

    var bad: [Bad] {
        [
            Bad(lines: "certfile /nonexistent/s.crt\nkeyfile \(pki.serverKey)", line: 3, directive: "certfile",
                says: "cannot read /nonexistent/s.crt"),
            Bad(lines: "certfile \(pki.serverCertificate)\nkeyfile \(pki.strayKey)", line: 4, directive: "keyfile",
                says: "does not match the certificate"),
            Bad(lines: "certfile \(pki.serverKey)\nkeyfile \(pki.serverKey)", line: 3, directive: "certfile",
                says: "not a PEM certificate"),
            Bad(lines: "certfile \(pki.serverCertificate)\nkeyfile \(pki.serverKey)\nciphers NOT-A-CIPHER", line: 5,
                directive: "ciphers", says: "'NOT-A-CIPHER' selects no cipher"),
            Bad(lines: "certfile \(pki.serverCertificate)\nkeyfile \(pki.serverKey)\nrequire_certificate true", line: 5,
                directive: "require_certificate", says: "needs cafile or capath"),
            Bad(lines: "certfile \(pki.serverCertificate)\nkeyfile \(pki.serverKey)\ncrlfile \(pki.caCertificate)", line: 5,
                directive: "crlfile", says: "no PEM CRL"),
            Bad(lines: "use_identity_as_username true", line: 3, directive: "use_identity_as_username",
                says: "needs TLS on this listener"),
        ]
    }

    @Test("a broken TLS setting names the file, the line and the directive")
    func errors() throws {
        for c in bad {
            let error = try #require(parseError("listener 1883 127.0.0.1\nlistener 8883 127.0.0.1\n" + c.lines), "\(c.directive)")
            #expect(error.file == "tls.conf" && error.line == c.line && error.directive == c.directive, "\(error)")
            #expect(error.message.contains(c.says), "\(error)")
        }
    }

    @Test("per_listener_settings true: each listener's psk_file gives its keys (one before the first listener is an error); false: the last psk_file serves every PSK listener")
    func perListenerPSK() throws {
        let other = pki.directory + "/psk-other.txt"
        let write = fopen(other, "w")
        fputs("only-here:0a0b\n", write)
        fclose(write)
        let listeners = """
            listener 8885 127.0.0.1
            psk_hint a
            psk_file \(pki.pskFile)
            listener 8886 127.0.0.1
            psk_hint b
            psk_file \(other)
            """
        let perListener = try ConfigFile.parse("per_listener_settings true\n" + listeners, file: "tls.conf")
        #expect(perListener.listeners[0].tls?.pskKeys["device-psk"]?.count == 16)
        #expect(perListener.listeners[1].tls?.pskKeys == ["only-here": [0x0A, 0x0B]])
        #expect(perListener.listeners.map(\.pskFile) == [pki.pskFile, other])
        let missing = #expect(throws: ConfigError.self) {
            try ConfigFile.parse("per_listener_settings true\nlistener 8885 127.0.0.1\npsk_hint a\npsk_file \(other)\nlistener 8886 127.0.0.1\npsk_hint b\n", file: "tls.conf")
        }
        #expect(missing?.line == 6 && missing?.message == "needs a psk_file with the identities and keys")
        let early = #expect(throws: ConfigError.self) {
            try ConfigFile.parse("per_listener_settings true\npsk_file \(other)\n" + listeners, file: "tls.conf")
        }
        #expect(early?.line == 2 && early?.message == "with per_listener_settings true (line 1) access options must follow a listener line")
        let global = try ConfigFile.parse(listeners, file: "tls.conf")
        #expect(global.listeners.map { $0.tls?.pskKeys } == [["only-here": [0x0A, 0x0B]], ["only-here": [0x0A, 0x0B]]])
        #expect(global.pskFile == other && global.listeners.allSatisfy { $0.pskFile == nil })
    }

    @Test("psk_file and psk_hint make a PSK listener with the file's keys")
    func psk() throws {
        let configuration = try ConfigFile.parse("psk_file \(pki.pskFile)\nlistener 8885 127.0.0.1\npsk_hint gateway\n",
                                                 file: "tls.conf")
        let tls = try #require(configuration.listeners[0].tls)
        #expect(tls.pskHint == "gateway")
        #expect(tls.pskKeys["device-psk"]?.count == 16)
        #expect(tls.pskKeys["sensor-7"]?.first == 0x00 && tls.pskKeys["sensor-7"]?.last == 0xFF)
    }
}
