import PerchStreams
import PerchTestKit
import Testing

/// TLS handshakes and records between two in-memory `TLSSession`s, with a PKI the test
/// makes itself (TestCertificates): the layer is pure, so every outcome is checked without
/// a socket.
@Suite("TLS session")
struct TLSSessionTests {
    let pki: TestCertificates

    init() throws {
        pki = try TestCertificates.shared()
    }

    /// The TLS records in `bytes`: (content type, length), failing on a torn record.
    static func records(_ bytes: [UInt8]) -> [(type: UInt8, length: Int)]? {
        var out: [(UInt8, Int)] = []
        var i = 0
        while i < bytes.count {
            guard i + 5 <= bytes.count else { return nil }
            let length = Int(bytes[i + 3]) << 8 | Int(bytes[i + 4])
            guard i + 5 + length <= bytes.count else { return nil }
            out.append((bytes[i], length))
            i += 5 + length
        }
        return out
    }

    @Test("a handshake completes and bytes cross both ways, TLS 1.3 by default")
    func roundTrip() throws {
        var pair = try TLSPair(server: .testServer(pki), client: .testClient(pki))
        pair.handshake()
        #expect(pair.server.isEstablished && pair.client.isEstablished)
        #expect(pair.server.peer.protocolVersion == "TLSv1.3")
        pair.clientSends(Array("CONNECT bytes".utf8))
        #expect(pair.atServer == Array("CONNECT bytes".utf8))
        pair.serverSends(Array("CONNACK bytes".utf8))
        #expect(pair.atClient == Array("CONNACK bytes".utf8))
        #expect(pair.serverStatus == .open && pair.clientStatus == .open)
        // No client certificate was asked for: no identity.
        #expect(pair.server.peer.commonName == nil && pair.server.peer.subject == nil)
    }

    @Test("what is sent before the handshake finishes is kept and delivered after it")
    func earlyData() throws {
        var pair = try TLSPair(server: .testServer(pki), client: .testClient(pki))
        var hello: [UInt8] = []
        pair.client.start(down: &hello)
        var nothing: [UInt8] = []
        pair.client.send(Array("early".utf8), down: &nothing)
        #expect(nothing.isEmpty) // not encrypted yet: no keys
        pair.pump(toServer: hello)
        #expect(pair.atServer == Array("early".utf8))
    }

    @Test("mutual TLS: the server learns the client certificate's CN and RFC 2253 subject")
    func clientIdentity() throws {
        var pair = try TLSPair(server: .testServer(pki, requireCertificate: true),
                               client: .testClient(pki, certificate: pki.clientCertificate, key: pki.clientKey))
        pair.handshake()
        pair.clientSends([1, 2, 3]) // TLS 1.3: the server verifies the client's Finished here
        #expect(pair.server.isEstablished)
        #expect(pair.serverStatus == .open)
        let peer = pair.server.peer
        #expect(peer.commonName == "device-1")
        #expect(peer.subject == TestCertificates.clientSubject)
        #expect(pair.atServer == [1, 2, 3])
    }

    @Test("require_certificate: a client without a certificate is refused, with the reason")
    func certificateRequired() throws {
        var pair = try TLSPair(server: .testServer(pki, requireCertificate: true), client: .testClient(pki))
        pair.handshake()
        pair.clientSends(Array("CONNECT".utf8))
        #expect(!pair.server.isEstablished)
        #expect(pair.atServer.isEmpty)
        let reason = try #require(pair.serverReason)
        #expect(reason.hasPrefix("TLS handshake failed"))
        #expect(reason.contains("certificate"))
        #expect(pair.clientReason != nil) // it got the alert
    }

    @Test("a client certificate from a CA the listener does not trust is refused",
          arguments: [false, true])
    func untrustedClient(required: Bool) throws {
        var pair = try TLSPair(server: .testServer(pki, verifyClients: true, requireCertificate: required),
                               client: .testClient(pki, certificate: pki.untrustedClientCertificate,
                                                   key: pki.untrustedClientKey))
        pair.handshake()
        pair.clientSends(Array("CONNECT".utf8))
        #expect(pair.atServer.isEmpty)
        let reason = try #require(pair.serverReason)
        #expect(reason.contains("certificate verify failed"))
        #expect(reason.contains("unable to get local issuer certificate"))
    }

    @Test("an expired client certificate is refused, and the log says it expired")
    func expiredClient() throws {
        var pair = try TLSPair(server: .testServer(pki, requireCertificate: true),
                               client: .testClient(pki, certificate: pki.expiredClientCertificate,
                                                   key: pki.expiredClientKey))
        pair.handshake()
        pair.clientSends(Array("CONNECT".utf8))
        #expect(pair.atServer.isEmpty)
        #expect(pair.serverReason?.contains("certificate has expired") == true)
    }

    @Test("crlfile: a revoked client certificate is refused; a good one still passes")
    func revokedClient() throws {
        var server = TLSConfiguration.testServer(pki, requireCertificate: true)
        server.crlFile = pki.crl
        var revoked = try TLSPair(server: server, client: .testClient(pki, certificate: pki.revokedClientCertificate,
                                                                      key: pki.revokedClientKey))
        revoked.handshake()
        revoked.clientSends(Array("CONNECT".utf8))
        #expect(revoked.atServer.isEmpty)
        #expect(revoked.serverReason?.contains("certificate revoked") == true)

        var good = try TLSPair(server: server, client: .testClient(pki, certificate: pki.clientCertificate, key: pki.clientKey))
        good.handshake()
        good.clientSends(Array("CONNECT".utf8))
        #expect(good.atServer == Array("CONNECT".utf8))
    }

    @Test("capath: a hashed CA directory verifies clients like cafile")
    func caPath() throws {
        var server = TLSConfiguration.testServer(pki)
        server.caPath = pki.caPath
        server.requireCertificate = true
        var pair = try TLSPair(server: server, client: .testClient(pki, certificate: pki.clientCertificate, key: pki.clientKey))
        pair.handshake()
        pair.clientSends([42])
        #expect(pair.atServer == [42])
        #expect(pair.server.peer.commonName == "device-1")
    }

    @Test("a client that does not trust the server's CA gives up; the server sees the alert")
    func clientRejectsServer() throws {
        var client = TLSConfiguration.testClient(pki)
        client.caFile = pki.otherCACertificate
        var pair = try TLSPair(server: .testServer(pki), client: client)
        pair.handshake()
        #expect(!pair.client.isEstablished)
        #expect(pair.clientReason?.contains("certificate verify failed") == true)
        #expect(pair.serverReason?.hasPrefix("TLS handshake failed") == true)
    }

    @Test("a client checking another host name refuses the server's certificate")
    func wrongHostName() throws {
        var client = TLSConfiguration.testClient(pki)
        client.role = .client(serverName: "gateway.example")
        var pair = try TLSPair(server: .testServer(pki), client: client)
        pair.handshake()
        #expect(!pair.client.isEstablished)
        #expect(pair.clientReason?.contains("hostname mismatch") == true)
    }

    static func pskServer(_ pki: TestCertificates) -> TLSConfiguration {
        var server = TLSConfiguration()
        server.pskHint = "perch"
        server.pskKeys = ["device-psk": hexBytes(TestCertificates.pskKeyHex)]
        return server
    }

    static func pskClient(identity: String, key: String) -> TLSConfiguration {
        var client = TLSConfiguration()
        client.role = .client(serverName: nil)
        client.verifyPeer = false
        client.pskIdentity = identity
        client.pskKey = hexBytes(key)
        return client
    }

    @Test("TLS-PSK without certificates: the identity is known to the server afterwards")
    func psk() throws {
        var pair = try TLSPair(server: Self.pskServer(pki),
                               client: Self.pskClient(identity: "device-psk", key: TestCertificates.pskKeyHex))
        pair.handshake()
        pair.clientSends(Array("hello".utf8))
        #expect(pair.server.isEstablished)
        #expect(pair.atServer == Array("hello".utf8))
        #expect(pair.server.peer.pskIdentity == "device-psk")
    }

    @Test("TLS-PSK with the wrong key or an unknown identity fails the handshake",
          arguments: [("device-psk", "ffeeddccbbaa99887766554433221100"),
                      ("stranger", TestCertificates.pskKeyHex)])
    func pskRefused(identity: String, key: String) throws {
        var pair = try TLSPair(server: Self.pskServer(pki), client: Self.pskClient(identity: identity, key: key))
        pair.handshake()
        pair.clientSends(Array("hello".utf8))
        #expect(pair.atServer.isEmpty)
        #expect(pair.serverReason?.hasPrefix("TLS handshake failed") == true || pair.clientReason != nil)
        #expect(!pair.server.isEstablished || !pair.client.isEstablished)
    }

    @Test("plain MQTT sent to a TLS listener fails the handshake at once, naming why")
    func plainMQTTToTLS() throws {
        let server = TLSSession(context: try TLSContext(.testServer(pki)))
        var up: [UInt8] = []
        var down: [UInt8] = []
        // CONNECT, MQTT 3.1.1, client id "a".
        let connect: [UInt8] = [0x10, 13, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 1, 0x61]
        let status = server.receive(connect, up: &up, down: &down)
        guard case .close(let reason) = status else {
            Issue.record("plain MQTT was not refused")
            return
        }
        #expect(reason.hasPrefix("TLS handshake failed"))
        #expect(up.isEmpty)
        // Whatever comes after the failure is ignored.
        #expect(server.receive(connect, up: &up, down: &down) == .open && up.isEmpty)
    }

    @Test("a handshake that never finishes is cut off after a bounded number of bytes")
    func handshakeFlood() throws {
        let server = TLSSession(context: try TLSContext(.testServer(pki)))
        // Handshake records of 16 kB each, carrying one ClientHello that claims 16 MB.
        var up: [UInt8] = []
        var down: [UInt8] = []
        var sent = 0
        var status = StreamStatus.open
        var record: [UInt8] = [0x16, 0x03, 0x01, 0x40, 0x00] + [UInt8](repeating: 0, count: 0x4000)
        record[5] = 1 // ClientHello
        record[6] = 0xFF; record[7] = 0xFF; record[8] = 0xFF
        record[9] = 0x03; record[10] = 0x03
        while status == .open && sent < 4 << 20 {
            status = server.receive(record, up: &up, down: &down)
            sent += record.count
            record[5] = 0; record[6] = 0; record[7] = 0; record[8] = 0
        }
        #expect(status != .open)
        #expect(sent <= TLSSession.handshakeLimit + record.count)
        #expect(up.isEmpty)
    }

    @Test("ciphers_tls1.3 picks the suite; tls_version tlsv1.3 still talks to a default client")
    func suiteAndVersion() throws {
        var server = TLSConfiguration.testServer(pki)
        server.cipherSuites = "TLS_AES_128_GCM_SHA256"
        server.minimumVersion = .tls13
        var pair = try TLSPair(server: server, client: .testClient(pki))
        pair.handshake()
        #expect(pair.server.isEstablished)
        #expect(pair.server.peer.cipher == "TLS_AES_128_GCM_SHA256")
        #expect(pair.client.peer.protocolVersion == "TLSv1.3")
    }

    @Test("a peer's close_notify closes the layer with that reason; nothing is read after it")
    func closeNotify() throws {
        var pair = try TLSPair(server: .testServer(pki), client: .testClient(pki))
        pair.handshake()
        var goodbye: [UInt8] = []
        pair.client.close(down: &goodbye)
        #expect(!goodbye.isEmpty)
        pair.pump(toServer: goodbye)
        #expect(pair.serverReason == "peer sent TLS close_notify")
        // A closed session neither sends nor accepts records.
        var more: [UInt8] = []
        pair.client.send([1], down: &more)
        #expect(more.isEmpty)
    }

    @Test("a tampered record is a TLS error, not plaintext")
    func tampered() throws {
        var pair = try TLSPair(server: .testServer(pki), client: .testClient(pki))
        pair.handshake()
        var records: [UInt8] = []
        pair.client.send(Array("payload".utf8), down: &records)
        records[records.count - 1] ^= 0x01
        pair.pump(toServer: records)
        #expect(pair.atServer.isEmpty)
        #expect(pair.serverReason?.hasPrefix("TLS error") == true)
    }

    @Test("one send is one record: a batch of packets is encrypted once, not per packet")
    func oneRecordPerBatch() throws {
        var pair = try TLSPair(server: .testServer(pki), client: .testClient(pki))
        pair.handshake()
        let stack = StreamStack(tls: pair.server, webSocket: nil)
        for _ in 0..<10 { stack.pending += [0x30, 5, 0, 1, 0x74, 0x68, 0x69] } // ten QoS 0 PUBLISH
        var wire: [UInt8] = []
        stack.seal(into: &wire)
        let records = try #require(Self.records(wire))
        #expect(records.count == 1)
        #expect(records.first?.type == 0x17)
        #expect(stack.pending.isEmpty)
        var up: [UInt8] = []
        var answer: [UInt8] = []
        _ = pair.client.receive(wire, up: &up, down: &answer)
        #expect(up.count == 70)
    }

    @Test("bytes split at every offset still make the same handshake and plaintext")
    func splitAtEveryOffset() throws {
        // Record the client's first flight once, then feed a fresh server one byte at a time.
        let pair = try TLSPair(server: .testServer(pki), client: .testClient(pki))
        var hello: [UInt8] = []
        pair.client.start(down: &hello)
        let server = TLSSession(context: try TLSContext(.testServer(pki)))
        var up: [UInt8] = []
        var flight: [UInt8] = []
        for byte in hello {
            #expect(server.receive([byte], up: &up, down: &flight) == .open)
        }
        // The server answered only once the whole ClientHello was there, and the client
        // accepts that answer as if it had come in one piece.
        #expect(!flight.isEmpty)
        var finished: [UInt8] = []
        var atClient: [UInt8] = []
        for byte in flight {
            #expect(pair.client.receive([byte], up: &atClient, down: &finished) == .open)
        }
        #expect(pair.client.isEstablished)
        _ = server.receive(finished, up: &up, down: &flight)
        #expect(server.isEstablished)
    }
}
