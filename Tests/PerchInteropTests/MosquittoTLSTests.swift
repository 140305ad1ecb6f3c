#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PerchServer
import PerchStreams
import PerchTestKit
import Testing

/// TLS, mutual TLS, TLS-PSK and Unix-socket listeners against the clients users run:
/// mosquitto_pub / mosquitto_sub, libmosquitto and openssl s_client, with certificates the
/// test makes (TestCertificates).
@Suite("TLS and Unix sockets with mosquitto clients and openssl", .serialized)
struct MosquittoTLSTests {
    let pki: TestCertificates

    init() throws {
        pki = try TestCertificates.shared()
    }

    /// Perch with one TLS listener on an ephemeral port (`configure` adjusts it).
    func perch(_ configure: (inout ServerConfiguration.Listener, TestCertificates) -> Void = { _, _ in }) throws -> InteropServer {
        try InteropServer { configuration in
            var listener = ServerConfiguration.Listener(address: "127.0.0.1", port: 0)
            listener.tls = .testServer(pki, verifyClients: true)
            configure(&listener, pki)
            configuration.listeners = [listener]
        }
    }

    func pskPerch() throws -> InteropServer {
        try perch { listener, pki in
            var tls = TLSConfiguration()
            tls.pskHint = "perch"
            tls.pskKeys = [TestCertificates.pskIdentity: hexBytes(TestCertificates.pskKeyHex)]
            listener.tls = tls
            listener.identity = .commonName
        }
    }

    /// Subscribes with `tls` options, publishes with `pubTLS`, and checks the message arrived.
    func exchange(port: UInt16, version: String, subscriber tls: [String], publisher pubTLS: [String],
                  topic: String) throws {
        let port = String(port)
        let sub = try ChildProcess("mosquitto_sub", ["-h", "localhost", "-p", port, "-V", version, "-q", "1", "-t", topic,
                                                     "-C", "1", "-W", "10", "-d", "-v"] + tls)
        #expect(sub.waitFor("SUBACK"), "\(sub.output)")
        let pub = try ChildProcess("mosquitto_pub", ["-h", "localhost", "-p", port, "-V", version, "-q", "1", "-t", topic,
                                                     "-m", "sealed"] + pubTLS)
        #expect(pub.waitForExit() == 0, "\(pub.output)")
        #expect(sub.waitFor("\(topic) sealed"), "\(sub.output)")
        #expect(sub.waitForExit() == 0)
    }

    @Test("[v311 MQTT-3.3.4-1] [v5 MQTT-3.3.4-1] mosquitto_pub and mosquitto_sub with --cafile over TLS", arguments: ["311", "5"])
    func serverAuthenticated(version: String) throws {
        let server = try perch()
        defer { server.stop() }
        let ca = ["--cafile", pki.caCertificate]
        try exchange(port: server.port, version: version, subscriber: ca, publisher: ca, topic: "tls/v\(version)")
    }

    @Test("mTLS: require_certificate with use_identity_as_username admits --cert/--key, refuses a client without one")
    func mutualTLS() throws {
        let server = try perch { listener, _ in
            listener.tls?.requireCertificate = true
            listener.identity = .commonName
        }
        defer { server.stop() }
        let withCert = ["--cafile", pki.caCertificate, "--cert", pki.clientCertificate, "--key", pki.clientKey]
        try exchange(port: server.port, version: "5", subscriber: withCert, publisher: withCert, topic: "mtls/t")
        let anonymous = try ChildProcess("mosquitto_pub", ["-h", "localhost", "-p", String(server.port), "-t", "mtls/t",
                                                           "-m", "x", "--cafile", pki.caCertificate])
        let status = anonymous.waitForExit()
        #expect(status != nil && status != 0, "\(anonymous.output)")
    }

    @Test("TLS-PSK: --psk/--psk-identity with the psk_file's key gets in; a wrong key does not")
    func psk() throws {
        let server = try pskPerch()
        defer { server.stop() }
        let good = ["--psk", TestCertificates.pskKeyHex, "--psk-identity", TestCertificates.pskIdentity]
        try exchange(port: server.port, version: "311", subscriber: good, publisher: good, topic: "psk/t")
        let wrong = try ChildProcess("mosquitto_pub", ["-h", "localhost", "-p", String(server.port), "-t", "psk/t", "-m", "x",
                                                       "--psk", "ffeeddccbbaa99887766554433221100",
                                                       "--psk-identity", TestCertificates.pskIdentity])
        let status = wrong.waitForExit()
        #expect(status != nil && status != 0, "\(wrong.output)")
    }

    @Test("[v311 MQTT-3.3.4-1] mosquitto_pub and mosquitto_sub over a Unix socket listener")
    func unixSocket() throws {
        let path = NSTemporaryDirectory() + "perch-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let server = try InteropServer { configuration in
            var unix = ServerConfiguration.Listener(address: "", port: 0)
            unix.unixSocketPath = path
            configuration.listeners.append(unix)
        }
        defer { server.stop() }
        let sub = try ChildProcess("mosquitto_sub", ["--unix", path, "-t", "local/#", "-C", "1", "-W", "10", "-d", "-v"])
        #expect(sub.waitFor("SUBACK"), "\(sub.output)")
        // Published over TCP, received over the socket file.
        let pub = try ChildProcess("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(server.port), "-t", "local/svc", "-m", "hi"])
        #expect(pub.waitForExit() == 0)
        #expect(sub.waitFor("local/svc hi"), "\(sub.output)")
    }

    @Test("[v311 MQTT-4.3.2-1] [v5 MQTT-4.3.2-1] libmosquitto with TLS and a client certificate, QoS 1 both ways", arguments: [Int32(4), 5])
    func libmosquitto(version: Int32) throws {
        let server = try perch { listener, _ in listener.tls?.requireCertificate = true }
        defer { server.stop() }
        let subscriber = MosquittoClient(id: "tls-sub", version: version)
        subscriber.setTLS(caFile: pki.caCertificate, certificate: pki.clientCertificate, key: pki.clientKey)
        #expect(subscriber.connect(port: server.port) == 0)
        #expect(subscriber.subscribe("lib/tls", qos: 1) == [1])
        let publisher = MosquittoClient(id: "tls-pub", version: version)
        publisher.setTLS(caFile: pki.caCertificate, certificate: pki.clientCertificate, key: pki.clientKey)
        #expect(publisher.connect(port: server.port) == 0)
        #expect(publisher.publish("lib/tls", "encrypted", qos: 1) == 0)
        #expect(subscriber.waitForMessages(1).first?.payload == Array("encrypted".utf8))
        publisher.disconnect()
        subscriber.disconnect()
    }

    @Test("libmosquitto with TLS-PSK")
    func libmosquittoPSK() throws {
        let server = try pskPerch()
        defer { server.stop() }
        let client = MosquittoClient(id: "psk-lib", version: 5)
        client.setPSK(identity: TestCertificates.pskIdentity, hexKey: TestCertificates.pskKeyHex)
        #expect(client.connect(port: server.port) == 0)
        #expect(client.subscribe("psk/lib", qos: 1) == [1])
        client.disconnect()
    }

    /// `openssl s_client` against the listener; returns its output once it exited.
    func sClient(_ port: UInt16, _ arguments: [String]) throws -> (status: Int32?, output: String) {
        // stdin from /dev/null: s_client says goodbye right after the handshake.
        let command = (["exec", "openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost",
                        "-CAfile", pki.caCertificate, "-verify_return_error", "-brief"] + arguments + ["</dev/null"])
        let client = try ChildProcess("sh", ["-c", command.joined(separator: " ")])
        _ = client.waitFor("\u{0}", seconds: 10) // reads until EOF: NUL never comes
        return (client.waitForExit(seconds: 5), client.output)
    }

    @Test("openssl s_client: TLS 1.3 with the configured suite, the server certificate verified")
    func sClientGood() throws {
        let server = try perch { listener, _ in listener.tls?.cipherSuites = "TLS_AES_128_GCM_SHA256" }
        defer { server.stop() }
        let (_, output) = try sClient(server.port, [])
        #expect(output.contains("Protocol version: TLSv1.3"), "\(output)")
        #expect(output.contains("Ciphersuite: TLS_AES_128_GCM_SHA256"), "\(output)")
        #expect(output.contains("Verification: OK"), "\(output)")
    }

    @Test("openssl s_client: tls_version tlsv1.3 refuses a TLS 1.2 client with a protocol_version alert")
    func sClientOldVersion() throws {
        let server = try perch { listener, _ in listener.tls?.minimumVersion = .tls13 }
        defer { server.stop() }
        let (status, output) = try sClient(server.port, ["-tls1_2"])
        #expect(status != 0)
        #expect(output.contains("protocol version") || output.contains("unsupported protocol"), "\(output)")
    }

    @Test("openssl s_client: require_certificate refuses a client without a certificate; expired and revoked ones get their alert",
          arguments: ["none", "expired", "revoked"])
    func sClientRefused(kind: String) throws {
        let server = try perch { listener, pki in
            listener.tls?.requireCertificate = true
            listener.tls?.crlFile = pki.crl
        }
        defer { server.stop() }
        var arguments = ["-tls1_2"] // the server's verdict arrives during the handshake
        switch kind {
        case "expired": arguments += ["-cert", pki.expiredClientCertificate, "-key", pki.expiredClientKey]
        case "revoked": arguments += ["-cert", pki.revokedClientCertificate, "-key", pki.revokedClientKey]
        default: break
        }
        let (status, output) = try sClient(server.port, arguments)
        #expect(status != 0, "\(output)")
        let alert = ["none": "handshake failure", "expired": "certificate expired", "revoked": "certificate revoked"][kind]!
        #expect(output.contains(alert), "\(output)")
    }
}
