import PerchAccess
import Testing

/// `perch passwd`: mosquitto_passwd's options, parsed, and the edits they make.
@Suite("perch passwd")
struct PasswordCommandTests {
    func parse(_ line: String) -> Result<PasswordCommand, PasswordCommandError> {
        PasswordCommand.parse(line.split(separator: " ").map(String.init))
    }

    @Test("options: -b, -c, -D, -U, -H; wrong combinations and counts are one-line errors")
    func options() throws {
        let batch = try parse("-c -b pw alice s3cret").get()
        #expect(batch == PasswordCommand(file: "pw", action: .set(username: "alice", password: "s3cret"), create: true))
        let prompted = try parse("-H argon2id pw bob").get()
        #expect(prompted.action == .set(username: "bob", password: nil) && prompted.needsPrompt)
        #expect(prompted.algorithm == .argon2id)
        #expect(try parse("-D pw bob").get().action == .delete(username: "bob"))
        #expect(try parse("-U pw").get().action == .upgrade)
        let slow = try parse("-I 5000 -b pw carol x").get()
        #expect(slow.iterations == 5000)
        guard case .pbkdf2SHA512(5000, _, _)? = try PasswordFile(parsing: slow.apply(to: ""), file: "pw").hash(of: "carol") else {
            Issue.record("-I 5000 not applied"); return
        }
        for bad in ["-I 0 pw a", "-I x pw a", "-c -D pw bob", "-b pw alice", "pw", "-U pw alice", "-H md5 pw a", "-x pw a", "pw a:b", "-b -D pw a b"] {
            guard case .failure = parse(bad) else { Issue.record("accepted: \(bad)"); continue }
        }
    }

    @Test("set, replace, delete and upgrade; a missing file needs -c; the result parses back and verifies")
    func edits() throws {
        let create = try parse("-c -b pw alice one").get()
        let first = try create.apply(to: nil)
        let second = try parse("-b pw bob two").get().apply(to: first)
        let replaced = try parse("pw alice").get().apply(to: second, password: "uno")
        let file = try PasswordFile(parsing: replaced, file: "pw")
        #expect(file.entries.map(\.username) == ["alice", "bob"])
        #expect(try #require(file.hash(of: "alice")).verify(Array("uno".utf8)))
        #expect(try #require(file.hash(of: "bob")).verify(Array("two".utf8)))
        let deleted = try parse("-D pw alice").get().apply(to: replaced)
        #expect(try PasswordFile(parsing: deleted, file: "pw").entries.map(\.username) == ["bob"])
        #expect(throws: PasswordCommandError("user carol not found in pw")) { try parse("-D pw carol").get().apply(to: deleted) }
        #expect(throws: PasswordCommandError("pw does not exist (use -c to create it)")) {
            try parse("-b pw x y").get().apply(to: nil)
        }
        let upgraded = try parse("-U pw").get().apply(to: "x:plain one\n" + deleted)
        let hashed = try PasswordFile(parsing: upgraded, file: "pw")
        #expect(try #require(hashed.hash(of: "x")).verify(Array("plain one".utf8)))
        #expect(try #require(hashed.hash(of: "bob")).verify(Array("two".utf8)))
        // Without -U a plain-text line is an error naming it, as the broker reports it.
        #expect(throws: PasswordCommandError("pw:1: a plain-text password; hash the file first with `perch passwd -U FILE` (as `mosquitto_passwd -U`)")) {
            try parse("-b pw y z").get().apply(to: "x:plain\n")
        }
    }
}
