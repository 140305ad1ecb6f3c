import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

/// Access control in the core: a CONNECT waits for its password check (and holds what the
/// client sent behind it), the realm's ACL judges every PUBLISH, Will, SUBSCRIBE and
/// delivery, and new rules apply to clients already connected.
@Suite("Access control")
struct AccessControlTests {
    static let acl = AccessControlList(
        anonymous: [.init(.read, "public/#")],
        users: ["alice": [.init(.readWrite, "home/alice/#"), .init(.read, "home/+/status"),
                          .init(.deny, "home/alice/private/#")],
                "bob": [.init(.readWrite, "home/bob/#")]],
        patterns: [.init(.write, "devices/%c/#")])

    func harness(anonymous: Bool = true, passwords: Bool = true, acl: AccessControlList? = Self.acl) -> BrokerHarness {
        let h = BrokerHarness()
        h.handle(.accessChanged([AccessRealm(allowAnonymous: anonymous, checksPasswords: passwords, acl: acl)]))
        return h
    }

    /// Opens a connection and sends CONNECT with credentials.
    func connect(_ h: BrokerHarness, _ clientID: String, version: ProtocolVersion = .v311, username: String?,
                 password: String? = "pw", will: Will? = nil, policy: ListenerPolicy = ListenerPolicy()) -> ConnectionID {
        let c = h.open(policy: policy)
        h.send(c, .connect(Connect(version: version, cleanStart: true, keepAlive: 0, clientID: clientID, will: will,
                                   username: username, password: password.map { Array($0.utf8) })))
        return c
    }

    /// Connects and answers the password check with `valid`.
    func login(_ h: BrokerHarness, _ clientID: String, version: ProtocolVersion = .v311, username: String,
               valid: Bool = true) -> ConnectionID {
        let c = connect(h, clientID, version: version, username: username)
        h.handle(.passwordChecked(c, valid))
        _ = h.take(c)
        return c
    }

    @Test("a CONNECT with a User Name waits for .checkPassword; nothing is answered before it")
    func waitsForCheck() throws {
        let h = harness()
        let c = connect(h, "dev", username: "alice", password: "s3cret")
        #expect(h.take(c).isEmpty)
        let (id, check) = try #require(h.passwordChecks.last)
        #expect(id == c)
        #expect(check == PasswordCheck(realm: 0, clientID: "dev", username: "alice", password: Array("s3cret".utf8)))
        h.handle(.passwordChecked(c, true))
        #expect(h.take(c) == [accepted()])
        #expect(h.accepted[c]?.username == "alice")
    }

    @Test("a wrong password: CONNACK 0x86 for v5, 0x04 for 3.1.1, then close [v5 MQTT-3.1.4-2] [v311 MQTT-3.2.2-5]")
    func wrongPassword() {
        for (version, code) in [(ProtocolVersion.v5, UInt8(0x86)), (.v311, 0x04)] {
            let h = harness()
            let c = connect(h, "dev", version: version, username: "alice")
            h.handle(.passwordChecked(c, false))
            let ack = connack(h.take(c))
            #expect(ack?.reason == .badUserNameOrPassword)
            var wire: [UInt8] = []
            Packet.connack(ack!).encode(version: version, into: &wire)
            #expect(wire[3] == code, "\(version)")
            #expect(h.closed(c))
        }
    }

    @Test("anonymous refused with 0x87 (3.1.1: 0x05) when the realm does not allow it; no password check for it")
    func anonymousRefused() {
        let h = harness(anonymous: false)
        let c = connect(h, "dev", version: .v5, username: nil, password: nil)
        #expect(connack(h.take(c))?.reason == .notAuthorized)
        #expect(h.passwordChecks.isEmpty)
        let allowed = harness(anonymous: true)
        let d = connect(allowed, "dev", username: nil, password: nil)
        #expect(allowed.take(d) == [accepted()])
    }

    @Test("[v311 MQTT-3.1.4-5] packets sent behind the CONNECT are held and handled in order after it is accepted, dropped if refused")
    func heldPackets() {
        let h = harness(acl: nil)
        let sub = login(h, "sub", username: "bob")
        h.subscribe(sub, "#")
        let c = connect(h, "dev", username: "alice")
        h.publish(c, "t/1", "one")
        h.publish(c, "t/2", "two", qos: .atLeastOnce, id: 7)
        #expect(h.take(c).isEmpty && h.takePublishes(sub).isEmpty)
        h.handle(.passwordChecked(c, true))
        #expect(h.take(c) == [accepted(), .puback(PubAck(packetID: pid(7)))])
        #expect(h.takePublishes(sub).map(\.topic) == ["t/1", "t/2"])
        let refused = connect(h, "bad", username: "alice")
        h.publish(refused, "t/3")
        h.handle(.passwordChecked(refused, false))
        #expect(h.takePublishes(sub).isEmpty)
        #expect(h.closed(refused))
    }

    @Test("a client that floods behind a waiting CONNECT, or disconnects, is closed; a late answer is ignored")
    func heldLimitAndLateAnswer() {
        let h = harness(acl: nil)
        let c = connect(h, "dev", username: "alice")
        for _ in 0..<100 { h.send(c, .pingreq) }
        #expect(h.closed(c))
        h.handle(.passwordChecked(c, true)) // the connection is gone: nothing happens
        #expect(h.take(c).isEmpty)
        let d = connect(h, "dev2", username: "alice")
        h.send(d, .disconnect(Disconnect()))
        #expect(h.closed(d))
    }

    @Test("an identity from the transport (certificate, PSK) is not password-checked")
    func identitySkipsPassword() {
        let h = harness(acl: nil)
        let c = h.open(policy: ListenerPolicy(usernameFromIdentity: true))
        h.handle(.identified(c, "device-7"))
        h.send(c, .connect(Connect(version: .v311, cleanStart: true, keepAlive: 0, clientID: "d7")))
        #expect(h.passwordChecks.isEmpty)
        #expect(h.take(c) == [accepted()])
        #expect(h.accepted[c]?.username == "device-7")
    }

    @Test("read is checked for every delivery: a `#` subscriber receives only what it may read, retained messages included")
    func readFiltering() {
        let h = harness()
        let bobPub = login(h, "bobpub", username: "bob")
        h.publish(bobPub, "home/bob/status", "retained", retain: true)
        h.publish(bobPub, "home/bob/secret", "retained too", retain: true)
        let alice = login(h, "alice-1", username: "alice")
        h.subscribe(alice, "#", qos: .atLeastOnce)
        #expect(h.takePublishes(alice).map(\.topic) == ["home/bob/status"]) // retained, filtered
        h.publish(bobPub, "home/bob/status", "live")
        h.publish(bobPub, "home/bob/other", "live")
        #expect(h.takePublishes(alice).map(\.topic) == ["home/bob/status"])
        #expect(h.broker.statistics.deniedDeliveries == 2)
    }

    @Test("write: a PUBLISH outside the grants is dropped (v5: PUBACK 0x87; 3.1.1: acknowledged) [v311 MQTT-3.3.5-2]")
    func writeChecked() {
        let h = harness()
        let bob = login(h, "bob-1", username: "bob")
        h.subscribe(bob, "home/bob/#")
        let v5 = login(h, "alice-5", version: .v5, username: "alice")
        h.publish(v5, "home/bob/x", qos: .atLeastOnce, id: 2)
        #expect(plain(h.take(v5)) == [.puback(PubAck(packetID: pid(2), reason: .notAuthorized))])
        let device = connect(h, "dev-9", username: nil, password: nil)
        _ = h.take(device)
        h.publish(device, "devices/dev-9/t", qos: .atLeastOnce, id: 3) // pattern write devices/%c/#
        h.publish(device, "devices/dev-8/t", qos: .atLeastOnce, id: 4)
        var wire: [UInt8] = []
        for packet in h.take(device) { packet.encode(version: .v311, into: &wire) }
        #expect(wire == [0x40, 2, 0, 3, 0x40, 2, 0, 4]) // both plainly acknowledged
        #expect(h.takePublishes(bob).isEmpty)
    }

    @Test("a Will the client may not publish refuses the CONNECT: 0x87 (3.1.1: 0x05)")
    func forbiddenWill() {
        let h = harness(passwords: false)
        let c = connect(h, "a", version: .v5, username: "alice", will: will("home/bob/lwt"))
        #expect(connack(h.take(c))?.reason == .notAuthorized)
        let ok = connect(h, "b", version: .v5, username: "alice", will: will("home/alice/lwt"))
        #expect(connack(h.take(ok))?.reason == .success)
    }

    @Test("SUBSCRIBE: 0x87 (3.1.1: 0x80) for a filter that can deliver nothing readable or that a deny covers")
    func subscribeChecked() {
        for version in [ProtocolVersion.v311, .v5] {
            let h = harness(passwords: false)
            let c = connect(h, "a", version: version, username: "alice")
            _ = h.take(c)
            h.send(c, subscribePacket(["home/#", "home/alice/private/#", "other/#"], qos: .atMostOnce))
            let reasons = suback(h.take(c))?.reasons
            #expect(reasons == [.success, .notAuthorized, .notAuthorized], "\(version)")
        }
    }

    @Test("new rules apply to connected clients from the next packet on; removing the ACL allows everything")
    func reload() {
        let h = harness(passwords: false)
        let alice = connect(h, "a", username: "alice")
        _ = h.take(alice)
        h.subscribe(alice, "#")
        let bob = connect(h, "b", username: "bob")
        _ = h.take(bob)
        h.publish(bob, "home/bob/x")
        #expect(h.takePublishes(alice).isEmpty)
        var wider = Self.acl
        wider.users["alice"]?.append(.init(.read, "home/bob/#"))
        h.handle(.accessChanged([AccessRealm(allowAnonymous: true, acl: wider)]))
        h.publish(bob, "home/bob/x")
        #expect(h.takePublishes(alice).map(\.topic) == ["home/bob/x"])
        h.handle(.accessChanged([AccessRealm(allowAnonymous: true, acl: nil)]))
        h.publish(bob, "anything")
        #expect(h.takePublishes(alice).map(\.topic) == ["anything"])
    }

    @Test("use_username_as_clientid: the User Name is the client id; none is refused 0x87")
    func usernameAsClientID() {
        var configuration = BrokerConfiguration()
        configuration.useUsernameAsClientID = true
        let h = BrokerHarness(configuration: configuration)
        let c = connect(h, "ignored", username: "alice")
        #expect(h.take(c) == [accepted()])
        #expect(h.accepted[c]?.clientID == "alice")
        let anonymous = connect(h, "x", version: .v5, username: nil, password: nil)
        #expect(connack(h.take(anonymous))?.reason == .notAuthorized)
    }

    @Test("clientid_prefixes: a client id without the prefix is refused 0x87 (3.1.1: 0x05)")
    func clientIDPrefix() {
        var configuration = BrokerConfiguration()
        configuration.clientIDPrefix = "dev-"
        let h = BrokerHarness(configuration: configuration)
        let bad = connect(h, "sensor-1", username: nil, password: nil)
        #expect(connack(h.take(bad))?.reason == .notAuthorized)
        let good = connect(h, "dev-1", username: nil, password: nil)
        #expect(h.take(good) == [accepted()])
    }

    @Test("per listener realms: the listener's realm decides anonymous access, password checks and the ACL")
    func realms() throws {
        let h = BrokerHarness()
        h.handle(.accessChanged([AccessRealm(allowAnonymous: true),
                                 AccessRealm(allowAnonymous: false, checksPasswords: true, acl: Self.acl)]))
        let open = connect(h, "a", username: nil, password: nil)
        #expect(h.take(open) == [accepted()])
        let strict = connect(h, "b", username: nil, password: nil, policy: ListenerPolicy(realm: 1))
        #expect(connack(h.take(strict))?.reason == .notAuthorized)
        let user = connect(h, "c", username: "alice", policy: ListenerPolicy(realm: 1))
        #expect(try #require(h.passwordChecks.last).1.realm == 1)
        h.handle(.passwordChecked(user, true))
        _ = h.take(user)
        h.send(user, subscribePacket(["other/#"], qos: .atMostOnce))
        #expect(suback(h.take(user))?.reasons == [.notAuthorized])
        let free = connect(h, "d", username: "alice") // realm 0: no passwords, no ACL
        #expect(h.take(free) == [accepted()])
        h.send(free, subscribePacket(["other/#"], qos: .atMostOnce))
        #expect(suback(h.take(free))?.reasons == [.success])
    }
}

extension AccessControlTests {
    @Test("[v311 MQTT-3.1.2-5] a persistent session's queue is judged again when another user takes the client id over")
    func takeoverByAnotherUser() {
        let h = harness(passwords: false)
        let bob = h.open()
        h.send(bob, .connect(Connect(version: .v311, cleanStart: false, keepAlive: 0, clientID: "shared", username: "bob")))
        _ = h.take(bob)
        h.subscribe(bob, "home/#", qos: .atLeastOnce)
        h.drop(bob)
        let publisher = connect(h, "p", username: "bob")
        _ = h.take(publisher)
        h.publish(publisher, "home/bob/private", qos: .atLeastOnce, id: 1)
        // alice continues bob's session: what was queued for bob and alice may not read stays behind.
        let alice = h.open()
        h.send(alice, .connect(Connect(version: .v311, cleanStart: false, keepAlive: 0, clientID: "shared", username: "alice")))
        #expect(h.takePublishes(alice).isEmpty)
        #expect(h.broker.statistics.deniedDeliveries == 1)
    }
}

extension AccessControlTests {
    @Test("the CONNECT timer does not close a connection whose CONNECT arrived and waits for a slow password check")
    func slowCheckOutlivesConnectTimeout() {
        let h = harness(acl: nil)
        let c = connect(h, "dev", username: "alice")
        h.advance(seconds: 60)
        #expect(!h.closed(c))
        h.handle(.passwordChecked(c, true))
        #expect(h.take(c) == [accepted()])
        let idle = h.open() // no CONNECT at all: still closed by the timer
        h.advance(seconds: 60)
        #expect(h.closed(idle))
    }
}

extension AccessControlTests {
    /// A persistent session of `clientID` subscribed to `home/#`, as the store would restore it.
    func restoredSession(_ clientID: String) -> [DurableSession] {
        let before = harness(passwords: false)
        let c = before.open()
        before.send(c, .connect(Connect(version: .v311, cleanStart: false, keepAlive: 0, clientID: clientID, username: "bob")))
        before.subscribe(c, "home/#", qos: .atLeastOnce)
        before.drop(c)
        var changes: [BrokerAction] = []
        before.broker.takeDurableChanges(into: &changes)
        return changes.compactMap { if case .persist(.session(let session)) = $0 { return session } else { return nil } }
    }

    @Test("[v311 MQTT-3.1.2-5] a session restored from disk queues without rights; its client's rights filter the queue when it is back")
    func restoredQueueFiltered() throws {
        for (user, expected) in [("alice", [String]()), ("bob", ["home/bob/private"])] {
            let h = harness(passwords: false)
            let sessions = restoredSession("shared")
            try #require(sessions.count == 1)
            h.broker.restore(sessions: sessions, now: h.now)
            let publisher = connect(h, "p", username: "bob")
            _ = h.take(publisher)
            h.publish(publisher, "home/bob/private", qos: .atLeastOnce, id: 1)
            let back = h.open()
            h.send(back, .connect(Connect(version: .v311, cleanStart: false, keepAlive: 0, clientID: "shared", username: user)))
            #expect(h.takePublishes(back).map(\.topic) == expected, "\(user)")
        }
    }
}
