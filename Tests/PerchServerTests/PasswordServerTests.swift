import Dispatch
import PerchAccess
import PerchBroker
import PerchCodec
import PerchServer
import PerchTestKit
import Testing

/// Password checks over loopback: slow hashes run off the loop, so a storm of argon2id
/// logins never holds up established clients; an embedder's authenticator may answer later
/// from any thread.
@Suite("Password checks off the loop", .serialized)
struct PasswordServerTests {
    @Test("during a storm of 16 argon2id logins an established pair keeps exchanging; every login then succeeds, again from the cache")
    func argon2Storm() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        var text = ""
        let stormUsers = (0..<16).map { "device-\($0)" }
        // One argon2id hash shared by every storm user (hashing it 16 times would only slow the test).
        let slow = try PasswordHash(hashing: Array("storm pw".utf8), algorithm: .argon2id)
        for user in stormUsers { text += "\(user):\(slow.encoded)\n" }
        text += "pair:\(try PasswordHash(hashing: Array("pair pw".utf8), algorithm: .pbkdf2).encoded)\n"
        writeFile(directory + "/passwd", text)
        let test = try TestServer {
            $0.accessRealms = [AccessFiles(allowAnonymous: false, passwordFile: directory + "/passwd")]
        }
        defer { test.stop() }
        let subscriber = try RawClient(port: test.port)
        #expect(try subscriber.connect(version: .v5, clientID: "sub", username: "pair", password: "pair pw").reason == .success)
        try subscriber.subscribe("pair/#", qos: .atLeastOnce)
        let publisher = try RawClient(port: test.port)
        #expect(try publisher.connect(version: .v5, clientID: "pub", username: "pair", password: "pair pw").reason == .success)

        var storm: [RawClient] = []
        for user in stormUsers {
            let client = try RawClient(port: test.port, version: .v5)
            try client.send(.connect(Connect(version: .v5, cleanStart: true, keepAlive: 60, clientID: user,
                                             username: user, password: Array("storm pw".utf8))))
            storm.append(client)
        }
        // The pair's round trip completes while the worker still has argon2id runs queued.
        try publisher.publish("pair/t", Array("during the storm".utf8), qos: .atLeastOnce, packetID: 1)
        #expect(try subscriber.receivePublish().payload == Array("during the storm".utf8))
        let early = try storm.map { try $0.receive(timeout: 0) } // a CONNACK already there, or nil
        #expect(early.contains { $0 == nil }, "the storm finished before one round trip: nothing was shown")
        for (client, answer) in zip(storm, early) {
            let ack = try answer ?? client.receive(timeout: 30, until: { if case .connack = $0 { true } else { false } })
            guard case .connack(let connack) = ack else { Issue.record("expected CONNACK, got \(ack)"); continue }
            #expect(connack.reason == .success)
            client.disconnect()
        }
        // Reconnecting with known passwords: answered from the cache, all succeed.
        for user in stormUsers {
            let client = try RawClient(port: test.port)
            #expect(try client.connect(version: .v311, clientID: user, username: user, password: "storm pw").reason == .success)
            client.disconnect()
        }
        let wrong = try RawClient(port: test.port)
        #expect(try wrong.connect(version: .v5, clientID: "x", username: "device-1", password: "nope").reason == .badUserNameOrPassword)
    }

    /// Accepts "open sesame" for everyone, answering from another thread a little later.
    struct LateAuthenticator: PasswordAuthenticator {
        func check(_ request: PasswordCheck, reply: @escaping @Sendable (Bool) -> Void) {
            DispatchQueue.global().async { reply(request.password == Array("open sesame".utf8)) }
        }
    }

    @Test("an embedder's PasswordAuthenticator answers later from another thread; the CONNECT waits for it")
    func embedderAuthenticator() throws {
        let test = try TestServer(passwordAuthenticator: LateAuthenticator()) {
            $0.accessRealms = [AccessFiles(allowAnonymous: false)]
        }
        defer { test.stop() }
        let good = try RawClient(port: test.port)
        #expect(try good.connect(version: .v5, clientID: "a", username: "anyone", password: "open sesame").reason == .success)
        let bad = try RawClient(port: test.port)
        #expect(try bad.connect(version: .v311, clientID: "b", username: "anyone", password: "closed").reason == .badUserNameOrPassword)
        let anonymous = try RawClient(port: test.port)
        #expect(try anonymous.connect(version: .v5, clientID: "c").reason == .notAuthorized)
    }
}

@Suite("Access configuration")
struct AccessConfigTests {
    @Test("per_listener_settings true: each listener its own realm (allow_anonymous false by default); false: the last global line wins")
    func perListener() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        writeFile(directory + "/a", "")
        writeFile(directory + "/b", "topic read x\n")
        let perListener = try ConfigFile.parse("""
            per_listener_settings true
            listener 1883 127.0.0.1
            allow_anonymous true
            listener 8883
            password_file \(directory)/a
            acl_file \(directory)/b
            """, file: "t.conf")
        #expect(perListener.accessRealms == [AccessFiles(allowAnonymous: false),
                                             AccessFiles(allowAnonymous: true),
                                             AccessFiles(allowAnonymous: false, passwordFile: directory + "/a",
                                                         aclFile: directory + "/b")])
        #expect(perListener.listeners.map(\.realm) == [1, 2, 2])
        let global = try ConfigFile.parse("""
            password_file \(directory)/b
            listener 1883
            allow_anonymous true
            password_file \(directory)/a
            """, file: "t.conf")
        #expect(global.accessRealms == [AccessFiles(allowAnonymous: true, passwordFile: directory + "/a")])
        #expect(global.listeners.allSatisfy { $0.realm == 0 })
        #expect(global.broker.allowAnonymous)
    }

    @Test("errors: an access option before any listener with per_listener_settings true, a bad line in either file")
    func errors() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        writeFile(directory + "/acl", "topic read ok\nfoo bar\n")
        func error(_ text: String) -> ConfigError? {
            do { _ = try ConfigFile.parse(text, file: "t.conf"); return nil } catch { return error }
        }
        let early = error("per_listener_settings true\nallow_anonymous true\nlistener 1883\n")
        #expect(early?.line == 2 && early?.file == "t.conf")
        let acl = error("listener 1883\nacl_file \(directory)/acl\n")
        #expect(acl?.file == directory + "/acl" && acl?.line == 2 && acl?.directive == "acl_file")
        #expect(acl?.message == "unknown keyword `foo` (expected topic, user or pattern)")
    }
}
