import PerchStreams
import PerchTestKit
import Testing

/// What a TLS context refuses to be built from, and how it says so: the directive and the
/// file at fault (ConfigFile adds the line).
@Suite("TLS context")
struct TLSContextTests {
    let pki: TestCertificates

    init() throws {
        pki = try TestCertificates.shared()
    }

    func failure(_ configure: (inout TLSConfiguration) -> Void) -> TLSError? {
        var configuration = TLSConfiguration.testServer(pki)
        configure(&configuration)
        do {
            _ = try TLSContext(configuration)
            return nil
        } catch {
            return error
        }
    }

    @Test("the test server configuration builds, with no warnings")
    func good() throws {
        let context = try TLSContext(.testServer(pki, requireCertificate: true))
        #expect(context.warnings.isEmpty)
    }

    @Test("a missing certfile names the directive and the file")
    func missingCertificate() throws {
        let error = try #require(failure { $0.certificateFile = "/nonexistent/server.crt" })
        #expect(error.setting == "certfile")
        #expect(error.file == "/nonexistent/server.crt")
        #expect(error.message.contains("cannot read /nonexistent/server.crt"))
    }

    @Test("a missing keyfile names the directive and the file")
    func missingKey() throws {
        let error = try #require(failure { $0.keyFile = "/nonexistent/server.key" })
        #expect(error.setting == "keyfile")
        #expect(error.message.contains("/nonexistent/server.key"))
    }

    @Test("a certfile that is not a certificate is refused as such")
    func notACertificate() throws {
        let error = try #require(failure { $0.certificateFile = pki.serverKey })
        #expect(error.setting == "certfile")
        #expect(error.message.contains("not a PEM certificate"))
    }

    @Test("a key that does not match its certificate names both files")
    func mismatchedKey() throws {
        let error = try #require(failure { $0.keyFile = pki.strayKey })
        #expect(error.setting == "keyfile")
        #expect(error.message == "\(pki.strayKey) does not match the certificate in \(pki.serverCertificate)")
    }

    @Test("certfile without keyfile and keyfile without certfile are refused")
    func halfAPair() throws {
        #expect(failure { $0.keyFile = nil }?.setting == "keyfile")
        #expect(failure { $0.certificateFile = nil }?.setting == "certfile")
        #expect(failure { $0.certificateFile = nil; $0.keyFile = nil }?.message.contains("psk_hint") == true)
    }

    @Test("an expired server certificate builds, with a warning naming the file and the date")
    func expiredServer() throws {
        var configuration = TLSConfiguration.testServer(pki)
        configuration.certificateFile = pki.expiredServerCertificate
        let context = try TLSContext(configuration)
        let warning = try #require(context.warnings.first)
        #expect(warning.hasPrefix("certfile \(pki.expiredServerCertificate): certificate expired on "))
        #expect(warning.contains("2020"))
    }

    @Test("a cipher string or TLS 1.3 suite list that selects nothing is refused",
          arguments: [("ciphers", "NOT-A-CIPHER"), ("ciphers_tls1.3", "TLS_NOT_A_SUITE")])
    func badCiphers(setting: String, value: String) throws {
        let error = try #require(failure {
            if setting == "ciphers" { $0.ciphers = value } else { $0.cipherSuites = value }
        })
        #expect(error.setting == setting)
        #expect(error.message.contains("'\(value)'"))
    }

    @Test("cafile, capath and crlfile that cannot be used are refused by name",
          arguments: ["cafile", "capath", "crlfile"])
    func badAuthorities(setting: String) throws {
        let error = try #require(failure {
            switch setting {
            case "cafile": $0.caFile = pki.serverKey // a key, not a certificate
            case "capath": $0.caPath = "/nonexistent/certs"
            default: $0.crlFile = pki.caCertificate // a certificate, not a CRL
            }
        })
        #expect(error.setting == setting)
    }

    @Test("require_certificate without a CA to verify against is refused")
    func requireWithoutCA() throws {
        let error = try #require(failure { $0.requireCertificate = true; $0.caFile = nil })
        #expect(error.setting == "require_certificate")
    }
}
