import PerchAccess
@testable import PerchBroker
import PerchTestKit
import Testing

/// The ACL file parser and the matcher the broker evaluates: mosquitto's format and
/// meaning, `deny` winning, patterns, and SUBSCRIBE judged by what the filter could deliver.
@Suite("ACL files")
struct ACLTests {
    static let file = """
        # anonymous clients
        topic read public/#
        topic deny public/secret

        user alice
        topic readwrite home/alice/#
        topic read home/+/status
        topic write  with spaces/in it
        topic deny home/alice/private/#

        user bob
        topic home/bob/#

        pattern read devices/%c/config
        pattern write devices/%c/telemetry/#
        pattern readwrite users/%u/#
        pattern deny devices/%c/config/locked
        """

    func rights(_ clientID: String, _ username: String?) throws -> AccessRights {
        try ACLFile.parse(Self.file, file: "acl").rights(clientID: clientID, username: username)
    }

    @Test("every line kind parses into the list: anonymous, users, patterns, default readwrite, spaces kept")
    func parses() throws {
        let acl = try ACLFile.parse(Self.file, file: "acl")
        #expect(acl.anonymous == [.init(.read, "public/#"), .init(.deny, "public/secret")])
        #expect(acl.users["alice"]?.count == 4)
        #expect(acl.users["alice"]?[2] == .init(.write, "with spaces/in it"))
        #expect(acl.users["bob"] == [.init(.readWrite, "home/bob/#")])
        #expect(acl.patterns.map(\.access) == [.read, .write, .readWrite, .deny])
    }

    @Test("errors name the line: unknown keyword, bad access, missing topic, bad filter, empty user")
    func errors() {
        func error(_ text: String) -> AccessFileError? {
            do { _ = try ACLFile.parse(text, file: "/etc/perch/acl"); return nil } catch { return error }
        }
        #expect(error("# ok\ntopic read a\n") == nil)
        #expect(error("topic read a\nusr bob\n") == AccessFileError(file: "/etc/perch/acl", line: 2, .unknownKeyword("usr")))
        #expect(error("topic read\n")?.reason == .missingTopic("topic"))
        #expect(error("pattern\n")?.reason == .missingTopic("pattern"))
        #expect(error("topic read a/#/b\n")?.reason == .badTopic("a/#/b"))
        #expect(error("topic read a/b+\n")?.reason == .badTopic("a/b+"))
        #expect(error("user\n")?.reason == .emptyUsername)
        // A word that is not an access is the start of the topic (mosquitto: readwrite).
        #expect(error("topic reed a\n") == nil)
    }

    @Test("read and write: what is not granted is denied, deny wins, `#` matches the parent, `$` needs a literal first level")
    func readWrite() throws {
        let anonymous = try rights("c1", nil)
        #expect(anonymous.mayRead("public/a/b"))
        #expect(anonymous.mayRead("public"))  // `public/#` matches its parent [MQTT-4.7.1-2]
        #expect(!anonymous.mayRead("public/secret"))
        #expect(!anonymous.mayWrite("public/a"))
        #expect(!anonymous.mayRead("home/alice/x"))
        let alice = try rights("c2", "alice")
        #expect(alice.mayRead("home/alice/x") && alice.mayWrite("home/alice/x"))
        #expect(alice.mayRead("home/bob/status") && !alice.mayWrite("home/bob/status"))
        #expect(!alice.mayRead("home/alice/private/diary") && !alice.mayWrite("home/alice/private"))
        #expect(alice.mayWrite("with spaces/in it") && !alice.mayRead("with spaces/in it"))
        #expect(!alice.mayRead("public/a")) // anonymous rules are not a user's
        let bob = try rights("c3", "bob")
        #expect(bob.mayRead("home/bob/a") && bob.mayWrite("home/bob/a"))
        let carol = try rights("c4", "carol") // a user without a section: patterns only
        #expect(!carol.mayRead("home/bob/a"))
        #expect(carol.mayRead("users/carol/inbox"))
        let system = AccessRights(rules: [.init(.read, levels: AccessRights.levels("#")),
                                          .init(.read, levels: AccessRights.levels("$SYS/broker/#"))])
        #expect(system.mayRead("a/b"))
        #expect(!AccessRights(rules: [.init(.read, levels: AccessRights.levels("#"))]).mayRead("$SYS/x")) // [MQTT-4.7.2-1]
        #expect(!AccessRights(rules: [.init(.read, levels: AccessRights.levels("+/x"))]).mayRead("$SYS/x"))
        #expect(system.mayRead("$SYS/broker/uptime"))
    }

    @Test("patterns: %c and %u substituted; %u never applies without a user name; +, # and / in an id cannot widen a pattern (CVE-2017-7650)")
    func patterns() throws {
        let device = try rights("dev-7", nil)
        #expect(device.mayRead("devices/dev-7/config"))
        #expect(!device.mayWrite("devices/dev-7/config"))
        #expect(device.mayWrite("devices/dev-7/telemetry/temp"))
        #expect(!device.mayRead("devices/dev-8/config"))
        #expect(!device.mayRead("devices/dev-7/config/locked"))
        #expect(!device.mayRead("users//inbox")) // %u without a user name: no rule
        for hostile in ["+", "#", "a/b", "dev-7/config/../#"] {
            let widened = try rights(hostile, hostile)
            #expect(!widened.mayRead("devices/dev-7/config"), "client id \(hostile)")
            #expect(!widened.mayWrite("devices/x/telemetry/t"), "client id \(hostile)")
            #expect(!widened.mayRead("users/alice/inbox"), "user \(hostile)")
            #expect(!widened.maySubscribe("devices/+/config"), "client id \(hostile)")
        }
        let a = try rights("a", nil)
        #expect(!a.mayRead("devices/a/b/config")) // `a/b` is one level, never two
    }

    @Test("SUBSCRIBE: refused when no read grant shares a topic with the filter, or a deny covers it")
    func subscribe() throws {
        let alice = try rights("c", "alice")
        let table: [(String, Bool)] = [
            ("home/alice/#", true),
            ("home/#", true),            // overlaps home/alice/# and home/+/status
            ("#", true),                 // matches readable topics; deliveries are filtered
            ("home/+/status", true),
            ("home/bob/status", true),
            ("home/bob/other", false),   // readable topics never match it
            ("with spaces/in it", false), // write only
            ("home/alice/private/#", false), // covered by a deny
            ("home/alice/private/x", false),
            ("home/alice/private/+/y", false),
            ("other/#", false),
            ("+/+", true),               // home/alice/# also matches home/alice
            ("+", false),                // one level: nothing alice may read has one
            ("+/+/+", true),
        ]
        for (filter, allowed) in table {
            #expect(alice.maySubscribe(filter) == allowed, "\(filter)")
        }
        let anonymous = try rights("c", nil)
        #expect(anonymous.maySubscribe("public/#"))
        #expect(!anonymous.maySubscribe("public/secret"))
        #expect(!anonymous.maySubscribe("$SYS/#"))
    }
}

extension ACLTests {
    @Test("[v311 MQTT-4.7.2-1] [v5 MQTT-4.7.2-1] the flattened per-message matcher agrees with filter matching on 20,000 seeded random rules and topics")
    func compiledAgreesWithFilterMatching() {
        var random = SplitMix64(seed: 0x5EED_AC1)
        let words = ["a", "b", "$SYS", "", "dev-1"]
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        func topic() -> String {
            (0..<(1 + Int(random.next() % 4))).map { _ in pick(words) }.joined(separator: "/")
        }
        func filter() -> String {
            var levels = (0..<(1 + Int(random.next() % 4))).map { _ in pick(words + ["+", "+"]) }
            if random.next() % 3 == 0 { levels.append("#") }
            return levels.joined(separator: "/")
        }
        let accesses: [AccessControlList.Access] = [.read, .write, .readWrite, .deny]
        for _ in 0..<20_000 {
            let rules = (0..<(1 + Int(random.next() % 3))).map { _ in
                AccessRights.Rule(pick(accesses), levels: AccessRights.levels(filter()))
            }
            let rights = AccessRights(rules: rules)
            let name = topic()
            let topicLevels = AccessRights.levels(name)
            let matching = rules.filter { AccessRights.intersects($0.levels, topicLevels) }
            let denied = matching.contains { $0.access == .deny }
            let read = !denied && matching.contains { $0.access.grantsRead }
            let write = !denied && matching.contains { $0.access.grantsWrite }
            #expect(rights.mayRead(name) == read, "\(rules) read \(name)")
            #expect(rights.mayWrite(name) == write, "\(rules) write \(name)")
        }
    }
}
