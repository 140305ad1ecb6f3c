#if canImport(Glibc)
import Glibc
#endif
import Logging
import PerchCodec
import PerchServer
import PerchStreams
import PerchTestKit
import Testing

/// TLS listeners through a real `Server` over loopback: the TLS layer between socket and
/// framer, identities handed to the broker, and handshake failures that cost nobody else
/// anything. (The layer itself is tested in memory in PerchStreamsTests; mosquitto's
/// clients, libmosquitto and openssl s_client are in the interop tests.)
@Suite("TLS listener")
struct TLSServerTests {
    let pki: TestCertificates

    init() throws {
        pki = try TestCertificates.shared()
    }

    /// A server with a plain listener (index 0) and a TLS listener (index 1).
    func server(logger: Logger? = nil, _ configureTLS: (inout ServerConfiguration.Listener) -> Void = { _ in },
                configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> (TestServer, UInt16) {
        let test = try TestServer(logger: logger) {
            var tls = ServerConfiguration.Listener(address: "127.0.0.1", port: 0)
            tls.tls = .testServer(pki, verifyClients: true)
            configureTLS(&tls)
            $0.listeners.append(tls)
            configure(&$0)
        }
        return (test, test.server.listeningPorts[1])
    }

    func tlsClient(_ port: UInt16, certificate: String? = nil, key: String? = nil,
                   webSocket: Bool = false) throws -> RawClient {
        let client = try RawClient(port: port)
        var configuration = TLSConfiguration.testClient(pki)
        configuration.certificateFile = certificate
        configuration.keyFile = key
        try client.connectLayers(ClientStreamStack(tls: try TLSContext(configuration),
                                                   webSocketKey: webSocket ? [UInt8](repeating: 5, count: 16) : nil))
        return client
    }

    @Test("[v311 MQTT-3.3.4-1] [v5 MQTT-3.3.4-1] a TLS client and a plain TCP client exchange messages both ways",
          arguments: [ProtocolVersion.v311, .v5])
    func crossTransport(version: ProtocolVersion) throws {
        let (test, port) = try server()
        defer { test.stop() }
        let secure = try tlsClient(port)
        #expect(try secure.connect(version: version, clientID: "secure").reason == .success)
        #expect(try secure.subscribe("tls/in", qos: .atLeastOnce) == [.granted(.atLeastOnce)])
        let plain = try RawClient(port: test.port)
        try plain.connect(version: .v311, clientID: "plain")
        _ = try plain.subscribe("tls/out", qos: .atMostOnce)
        try plain.publish("tls/in", Array("over TLS".utf8), qos: .atLeastOnce, packetID: 1)
        let received = try secure.receivePublish()
        #expect(received.payload == Array("over TLS".utf8))
        try secure.send(.puback(PubAck(packetID: try #require(received.packetID))))
        try secure.publish("tls/out", Array("from TLS".utf8))
        #expect(try plain.receivePublish().payload == Array("from TLS".utf8))
    }

    @Test("[v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-2] wss: MQTT over WebSocket over TLS on one listener")
    func secureWebSocket() throws {
        let (test, port) = try server { $0.protocol = .websockets }
        defer { test.stop() }
        let browser = try tlsClient(port, webSocket: true)
        #expect(try browser.connect(version: .v5, clientID: "wss").reason == .success)
        #expect(try browser.subscribe("wss/t", qos: .atMostOnce) == [.granted(.atMostOnce)])
        let device = try RawClient(port: test.port)
        try device.connect(version: .v311, clientID: "device")
        try device.publish("wss/t", Array("through both layers".utf8))
        #expect(try browser.receivePublish().payload == Array("through both layers".utf8))
    }

    @Test("use_identity_as_username: the certificate's CN is the User Name, whatever CONNECT says")
    func identityAsUsername() throws {
        let capture = LogCapture()
        let (test, port) = try server(logger: Logger(label: "t", factory: capture.handlerFactory), {
            $0.identity = .commonName
            $0.tls?.requireCertificate = true
        }, configure: { $0.connectionMessages = true })
        defer { test.stop() }
        let device = try tlsClient(port, certificate: pki.clientCertificate, key: pki.clientKey)
        try device.send(.connect(Connect(version: .v311, cleanStart: true, keepAlive: 60, clientID: "dev",
                                         username: "mallory", password: Array("x".utf8))))
        guard case .connack(let ack)? = try device.receive() else {
            Issue.record("no CONNACK")
            return
        }
        #expect(ack.reason == .success)
        #expect(capture.matching("New client connected").contains { $0.contains("as dev (p2, c1, k60, u'device-1')") })
        #expect(capture.matching("mallory").isEmpty)
    }

    @Test("use_subject_as_username: the whole subject (RFC 2253) is the User Name")
    func subjectAsUsername() throws {
        let capture = LogCapture()
        let (test, port) = try server(logger: Logger(label: "t", factory: capture.handlerFactory), {
            $0.identity = .subject
            $0.tls?.requireCertificate = true
        }, configure: { $0.connectionMessages = true })
        defer { test.stop() }
        let device = try tlsClient(port, certificate: pki.clientCertificate, key: pki.clientKey)
        #expect(try device.connect(version: .v5, clientID: "dev").reason == .success)
        #expect(!capture.matching("u'\(TestCertificates.clientSubject)'").isEmpty)
    }

    @Test("[v311 MQTT-3.2.2-5] [v5 MQTT-3.1.4-2] [v5 MQTT-3.2.2-7] use_identity_as_username without a client certificate: CONNACK refuses it",
          arguments: [ProtocolVersion.v311, .v5])
    func identityMissing(version: ProtocolVersion) throws {
        let (test, port) = try server { $0.identity = .commonName } // certificate optional
        defer { test.stop() }
        let anonymous = try tlsClient(port)
        let ack = try anonymous.connect(version: version, clientID: "anon")
        #expect(ack.reason == .badUserNameOrPassword, "\(ack)")
        #expect(anonymous.expectClosed() != nil)
    }

    @Test("TLS-PSK: psk_hint with a psk_file, and the PSK identity as User Name")
    func psk() throws {
        let capture = LogCapture()
        let (test, port) = try server(logger: Logger(label: "t", factory: capture.handlerFactory), {
            var settings = TLSConfiguration()
            settings.pskHint = "perch"
            settings.pskKeys = ["device-psk": Array(0..<16)]
            $0.tls = settings
            $0.identity = .commonName
        }, configure: { $0.connectionMessages = true })
        defer { test.stop() }
        let client = try RawClient(port: port)
        var configuration = TLSConfiguration()
        configuration.role = .client(serverName: nil)
        configuration.verifyPeer = false
        configuration.pskIdentity = "device-psk"
        configuration.pskKey = Array(0..<16)
        try client.connectLayers(ClientStreamStack(tls: try TLSContext(configuration), webSocketKey: nil))
        #expect(try client.connect(version: .v311, clientID: "psk-dev").reason == .success)
        #expect(!capture.matching("u'device-psk'").isEmpty)
    }

    @Test("plain MQTT sent to a TLS port is closed and logged; a client on the other listener is served meanwhile")
    func plainToTLS() throws {
        let capture = LogCapture()
        let (test, port) = try server(logger: Logger(label: "t", factory: capture.handlerFactory))
        defer { test.stop() }
        let other = try RawClient(port: test.port)
        try other.connect(version: .v311, clientID: "other")
        let confused = try RawClient(port: port)
        try confused.send(.connect(Connect(version: .v311, cleanStart: true, keepAlive: 60, clientID: "plain")))
        #expect(confused.expectClosed() != nil)
        #expect(!capture.matching("closed: TLS handshake failed").isEmpty)
        try other.send(.pingreq)
        #expect(try other.receive() == .pingresp)
    }

    @Test("a TLS ClientHello sent to a plain port is closed as malformed MQTT")
    func tlsToPlain() throws {
        let (test, _) = try server()
        defer { test.stop() }
        let client = try RawClient(port: test.port)
        let stack = ClientStreamStack(tls: try TLSContext(.testClient(pki)), webSocketKey: nil)
        var hello: [UInt8] = []
        stack.start(into: &hello)
        try client.sendWire(hello)
        #expect(client.expectClosed() != nil)
    }

    @Test("a client certificate from another CA is refused at the handshake, the reason logged")
    func untrustedClient() throws {
        let capture = LogCapture()
        let (test, port) = try server(logger: Logger(label: "t", factory: capture.handlerFactory)) {
            $0.tls?.requireCertificate = true
        }
        defer { test.stop() }
        let client = try RawClient(port: port)
        var configuration = TLSConfiguration.testClient(pki)
        configuration.certificateFile = pki.untrustedClientCertificate
        configuration.keyFile = pki.untrustedClientKey
        let stack = ClientStreamStack(tls: try TLSContext(configuration), webSocketKey: nil)
        // TLS 1.3: the client thinks it is done before the server has checked its certificate.
        try client.connectLayers(stack)
        try client.send(.connect(Connect(version: .v311, cleanStart: true, keepAlive: 60, clientID: "intruder")))
        #expect(client.expectClosed() != nil)
        #expect(capture.matching("closed: TLS handshake failed").contains { $0.contains("unable to get local issuer certificate") })
    }

    @Test("a handshake that never completes is closed after the connect timeout")
    func handshakeTimeout() throws {
        let (test, port) = try server(configure: { $0.broker.connectTimeout = 1 })
        defer { test.stop() }
        let slow = try RawClient(port: port)
        let stack = ClientStreamStack(tls: try TLSContext(.testClient(pki)), webSocketKey: nil)
        var hello: [UInt8] = []
        stack.start(into: &hello)
        try slow.sendWire(Array(hello.prefix(20))) // half a ClientHello, then silence
        let started = PerchProcess.now()
        #expect(slow.expectClosed(timeout: 5) != nil)
        #expect(PerchProcess.now() - started < 4)
    }

    @Test("an expired server certificate is a warning at start, naming the listener and the file")
    func expiredServerCertificate() throws {
        let capture = LogCapture()
        let (test, _) = try server(logger: Logger(label: "t", factory: capture.handlerFactory)) {
            $0.tls?.certificateFile = pki.expiredServerCertificate
        }
        defer { test.stop() }
        #expect(capture.matching("warning").contains { $0.contains("certificate expired on") && $0.contains(pki.expiredServerCertificate) })
    }

    @Test("a key that does not match the certificate stops the start, naming keyfile and both files")
    func mismatchedKey() throws {
        do {
            _ = try server { $0.tls?.keyFile = pki.strayKey }
            Issue.record("the server started")
        } catch {
            #expect("\(error)".contains("keyfile: \(pki.strayKey) does not match the certificate in \(pki.serverCertificate)"), "\(error)")
        }
    }
}
