import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Enhanced authentication")
struct EnhancedAuthenticationTests {
    let h = BrokerHarness(authenticator: TestAuthenticator())

    /// Connects with method "CR" and returns the connection and the challenge it got.
    func challenged(_ clientID: String = "a") -> (ConnectionID, [UInt8]) {
        let c = h.connect(clientID, version: .v5, properties: authProperties("CR", bytes("user")))
        let packets = h.take(c)
        guard case .auth(let auth)? = packets.first, packets.count == 1 else {
            Issue.record("expected one AUTH, got \(packets)")
            return (c, [])
        }
        return (c, auth.properties.authenticationData ?? [])
    }

    @Test("[v5 MQTT-4.12.0-2] [v5 MQTT-4.12.0-5] [v5 MQTT-3.2.0-1] AUTH 0x18 rounds, then CONNACK 0x00 with the same method")
    func challengeResponse() throws {
        let (c, challenge) = challenged()
        #expect(challenge == bytes("nonce-4"))
        #expect(h.broker.statistics.connectedClients == 0) // no CONNACK yet, no session
        h.send(c, authPacket(.continueAuthentication, "CR", challenge.reversed()))
        let ack = try #require(connack(h.take(c)))
        #expect(ack.reason == .success)
        #expect(ack.properties.authenticationMethod == "CR")
        #expect(ack.properties.authenticationData == bytes("ok"))
        h.send(c, .pingreq)
        #expect(h.take(c) == [.pingresp])
    }

    @Test("[v5 MQTT-4.12.0-2] the AUTH the server sends while authenticating carries 0x18 and the method")
    func authCarriesContinue() {
        let c = h.connect("a", version: .v5, properties: authProperties("CR", nil))
        #expect(h.take(c) == [authPacket(.continueAuthentication, "CR", bytes("nonce-0"))])
    }

    @Test("[v5 MQTT-4.12.0-4] [v5 MQTT-3.1.4-2] a wrong answer: CONNACK 0x87 and close, no session")
    func failedExchange() {
        let (c, _) = challenged()
        h.send(c, authPacket(.continueAuthentication, "CR", bytes("wrong")))
        #expect(plain(h.take(c)) == [.connack(ConnAck(sessionPresent: false, reason: .notAuthorized))])
        #expect(h.closed(c))
        #expect(h.broker.statistics.sessions == 0)
    }

    @Test("[v5 MQTT-4.12.0-1] [v5 MQTT-4.13.2-1] an unsupported method gets CONNACK 0x8C with a Reason String, then close")
    func unsupportedMethod() throws {
        let c = h.connect("a", version: .v5, properties: authProperties("KERBEROS", nil))
        let ack = try #require(connack(h.take(c)))
        #expect(ack.reason == .badAuthenticationMethod)
        #expect(ack.properties.reasonString != nil)
        #expect(h.closed(c))
    }

    @Test("[v5 MQTT-4.12.0-5] a one-step method: CONNACK 0x00 with the method and no AUTH")
    func oneStep() throws {
        let c = h.connect("a", version: .v5, properties: authProperties("TOKEN", bytes("secret")))
        let packets = h.take(c)
        #expect(packets.count == 1)
        #expect(connack(packets)?.properties.authenticationMethod == "TOKEN")
    }

    @Test("[v5 MQTT-4.12.0-6] [v5 client MQTT-4.12.0-7] without an Authentication Method: no AUTH, no method in CONNACK; a client AUTH is DISCONNECT 0x82")
    func noMethod() throws {
        let c = h.connect("a", version: .v5)
        let ack = try #require(connack(h.take(c)))
        #expect(ack.properties.authenticationMethod == nil && ack.properties.authenticationData == nil)
        h.send(c, authPacket(.reAuthenticate, "CR", nil))
        #expect(disconnectReason(h.take(c)) == .protocolError)
        #expect(h.closed(c))
    }

    @Test("[v5 interp] AUTH with another method during the exchange: CONNACK 0x82, close (no DISCONNECT before CONNACK)")
    func otherMethodBeforeConnack() {
        let (c, challenge) = challenged()
        h.send(c, authPacket(.continueAuthentication, "TOKEN", challenge.reversed()))
        #expect(plain(h.take(c)) == [.connack(ConnAck(sessionPresent: false, reason: .protocolError))])
        #expect(h.closed(c))
    }

    @Test("[v5 client MQTT-3.1.2-30] [v5 interp] a PUBLISH before the exchange completes: CONNACK 0x82 and close")
    func publishDuringExchange() {
        let (c, _) = challenged()
        h.publish(c, "t")
        #expect(plain(h.take(c)) == [.connack(ConnAck(sessionPresent: false, reason: .protocolError))])
        #expect(h.closed(c))
    }

    @Test("[v5 interp] CONNECT timeout applies while authenticating")
    func timeoutWhileAuthenticating() {
        let (c, _) = challenged()
        h.advance(seconds: 11)
        #expect(h.closed(c))
        #expect(h.take(c).isEmpty)
    }

    /// Authenticates "a" with CR and returns the connection, CONNACK taken.
    func authenticated() -> ConnectionID {
        let (c, challenge) = challenged()
        h.send(c, authPacket(.continueAuthentication, "CR", challenge.reversed()))
        _ = h.take(c)
        return c
    }

    @Test("[v5 MQTT-4.12.0-5] [v5 MQTT-3.15.2-1] re-authentication: AUTH 0x19 → AUTH 0x18 → AUTH 0x00, same method, connection stays")
    func reauthentication() {
        let c = authenticated()
        h.send(c, authPacket(.reAuthenticate, "CR", bytes("xy")))
        #expect(h.take(c) == [authPacket(.continueAuthentication, "CR", bytes("nonce-2"))])
        h.send(c, authPacket(.continueAuthentication, "CR", bytes("nonce-2").reversed()))
        #expect(h.take(c) == [authPacket(.success, "CR", bytes("ok"))])
        #expect(!h.closed(c))
    }

    @Test("[v5 MQTT-4.12.1-2] failed re-authentication: DISCONNECT 0x87, close")
    func failedReauthentication() {
        let c = authenticated()
        h.send(c, authPacket(.reAuthenticate, "CR", nil))
        _ = h.take(c)
        h.send(c, authPacket(.continueAuthentication, "CR", bytes("bad")))
        #expect(disconnectReason(h.take(c)) == .notAuthorized)
        #expect(h.closed(c))
    }

    @Test("[v5 client MQTT-4.12.1-1] [v5 interp] re-authentication with another method or none: DISCONNECT 0x82")
    func reauthenticationOtherMethod() {
        for method in ["TOKEN", nil] as [String?] {
            let h = BrokerHarness(authenticator: TestAuthenticator())
            let c = h.connect("a", version: .v5, properties: authProperties("TOKEN", bytes("secret")))
            _ = h.take(c)
            h.send(c, authPacket(.reAuthenticate, method == nil ? nil : "CR", nil))
            #expect(disconnectReason(h.take(c)) == .protocolError)
            #expect(h.closed(c))
        }
    }

    @Test("[v5 interp] AUTH 0x18 after CONNACK with no exchange in progress: DISCONNECT 0x82")
    func continueWithoutExchange() {
        let c = authenticated()
        h.send(c, authPacket(.continueAuthentication, "CR", nil))
        #expect(disconnectReason(h.take(c)) == .protocolError)
    }

    @Test("[v5 MQTT-3.15.2-2] [v5 MQTT-3.15.2-3] AUTH fits the client's Maximum Packet Size")
    func authFitted() {
        let fitted = Packet.auth(Auth(reason: .continueAuthentication, properties: v5 {
            $0.authenticationMethod = "CR"
            $0.reasonString = String(repeating: "r", count: 50)
            $0.userProperties = [UserProperty("k", String(repeating: "v", count: 50))]
        }))
        let small = fitted.fitted(maximumPacketSize: 20, problemInformation: true)
        guard case .auth(let auth) = small else { Issue.record("not AUTH"); return }
        #expect(auth.properties.reasonString == nil && auth.properties.userProperties.isEmpty)
        #expect(auth.properties.authenticationMethod == "CR")
    }
}
