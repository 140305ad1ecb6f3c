import PerchBroker
import PerchCodec
import PerchServer
import PerchTestKit
import Testing

/// The embedder's authentication and authorisation hooks, given to `Server` and used for
/// clients over loopback TCP.
@Suite("Server hooks: enhanced authentication and authorisation")
struct HookTests {
    /// "TOKEN": CONNECT Authentication Data "secret" succeeds at once; "CR": one AUTH round,
    /// the client must answer the challenge reversed.
    struct Tokens: Authenticator {
        func begin(method: String, clientID: String, username: String?) -> (any AuthenticationExchange)? {
            switch method {
            case "TOKEN": return Token()
            case "CR": return ChallengeResponse()
            default: return nil
            }
        }

        struct Token: AuthenticationExchange {
            mutating func step(_ data: [UInt8]?) -> AuthenticationStep {
                data == Array("secret".utf8) ? .success(nil) : .failure
            }
        }

        struct ChallengeResponse: AuthenticationExchange {
            var challenge: [UInt8]?
            mutating func step(_ data: [UInt8]?) -> AuthenticationStep {
                guard let challenge else {
                    self.challenge = Array("nonce".utf8)
                    return .continue(Array("nonce".utf8))
                }
                return data == Array(challenge.reversed()) ? .success(Array("ok".utf8)) : .failure
            }
        }
    }

    /// Clients may publish and subscribe only under `public/`.
    struct PublicOnly: Authorizer {
        func mayPublish(clientID: String, username: String?, topic: String) -> Bool { topic.hasPrefix("public/") }
        func maySubscribe(clientID: String, username: String?, filter: String) -> Bool { filter.hasPrefix("public/") }
    }

    static func method(_ name: String, _ data: String?) -> Properties {
        var properties = Properties()
        properties.authenticationMethod = name
        properties.authenticationData = data.map { Array($0.utf8) }
        return properties
    }

    @Test("[v5 MQTT-4.12.0-1] A method the server's authenticator does not know gets CONNACK 0x8C and the connection is closed; a known one with good data is accepted, bad data 0x87")
    func connectWithMethod() throws {
        let test = try TestServer(authenticator: Tokens())
        defer { test.stop() }
        let unknown = try RawClient(port: test.port)
        #expect(try unknown.connect(version: .v5, clientID: "u", properties: Self.method("SCRAM-SHA-1", nil)).reason
                == .badAuthenticationMethod)
        #expect(unknown.expectClosed() != nil)
        let good = try RawClient(port: test.port)
        let accepted = try good.connect(version: .v5, clientID: "g", properties: Self.method("TOKEN", "secret"))
        #expect(accepted.reason == .success)
        #expect(accepted.properties.authenticationMethod == "TOKEN") // [v5 MQTT-4.12.0-5]
        let bad = try RawClient(port: test.port)
        #expect(try bad.connect(version: .v5, clientID: "b", properties: Self.method("TOKEN", "guess")).reason
                == .notAuthorized)
        good.disconnect()
    }

    @Test("[v5 MQTT-4.12.0-2] [v5 MQTT-4.12.0-5] A challenge goes out in AUTH 0x18 and the right answer completes the CONNECT")
    func challengeRound() throws {
        let test = try TestServer(authenticator: Tokens())
        defer { test.stop() }
        let client = try RawClient(port: test.port)
        client.version = .v5
        try client.send(.connect(Connect(version: .v5, cleanStart: true, keepAlive: 60, clientID: "cr",
                                         properties: Self.method("CR", nil))))
        let challenge = try client.receive { if case .auth = $0 { return true } else { return false } }
        guard case .auth(let auth) = challenge else { Issue.record("expected AUTH"); return }
        #expect(auth.reason == .continueAuthentication)
        #expect(auth.properties.authenticationMethod == "CR")
        #expect(auth.properties.authenticationData == Array("nonce".utf8))
        var answer = Self.method("CR", "ecnon")
        answer.authenticationMethod = "CR"
        try client.send(.auth(Auth(reason: .continueAuthentication, properties: answer)))
        let reply = try client.receive { if case .connack = $0 { return true } else { return false } }
        guard case .connack(let ack) = reply else { Issue.record("expected CONNACK"); return }
        #expect(ack.reason == .success)
        #expect(ack.properties.authenticationData == Array("ok".utf8))
        client.disconnect()
    }

    @Test("[v5 MQTT-3.3.4-1] [v311 MQTT-3.3.5-2] The authoriser keeps a refused PUBLISH from subscribers (v5 PUBACK 0x87, 3.1.1 acknowledged as usual) and refuses SUBSCRIBE entries")
    func authorisation() throws {
        let test = try TestServer(authorizer: PublicOnly())
        defer { test.stop() }
        let subscriber = try RawClient(port: test.port)
        #expect(try subscriber.connect(version: .v5, clientID: "sub").reason == .success)
        #expect(try subscriber.subscribe("secret/#", qos: .atLeastOnce) == [.notAuthorized])
        #expect(try subscriber.subscribe("#", qos: .atLeastOnce, packetID: 2) == [.notAuthorized])
        #expect(try subscriber.subscribe("public/#", qos: .atLeastOnce, packetID: 3) == [.grantedQoS1])

        for version in [ProtocolVersion.v5, .v311] {
            let publisher = try RawClient(port: test.port)
            #expect(try publisher.connect(version: version, clientID: "pub-\(version)").reason == .success)
            try publisher.publish("secret/plans", Array("no".utf8), qos: .atLeastOnce, packetID: 1)
            let refused = try publisher.receive { if case .puback = $0 { return true } else { return false } }
            guard case .puback(let ack) = refused else { Issue.record("expected PUBACK"); return }
            #expect(ack.reason == (version == .v5 ? .notAuthorized : .success))
            try publisher.publish("public/ok", Array("yes \(version)".utf8), qos: .atLeastOnce, packetID: 2)
            let delivered = try subscriber.receivePublish()
            #expect(delivered.topic == "public/ok") // the refused one never arrives first
            #expect(delivered.payload == Array("yes \(version)".utf8))
            if let id = delivered.packetID { try subscriber.send(.puback(PubAck(packetID: id))) }
            publisher.disconnect()
        }
        subscriber.disconnect()
    }
}
