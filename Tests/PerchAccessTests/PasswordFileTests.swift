#if canImport(Glibc)
import Glibc
#endif
import PerchAccess
import PerchTestKit
import Testing

/// mosquitto_passwd's formats: files written by Debian's `mosquitto_passwd` in the test
/// verify here, and what Perch writes has the same shape.
@Suite("Password files")
struct PasswordFileTests {
    /// A file written by Debian's mosquitto_passwd (2.0: `$7$` PBKDF2 by default, `-H sha512` `$6$`).
    func mosquittoFile(_ users: [(String, String)], hash: String? = nil) throws -> String {
        let path = "/tmp/perch-passwd-\(getpid())-\(users.count)-\(hash ?? "default")"
        defer { unlink(path) }
        var script = "rm -f '\(path)' && touch '\(path)'"
        for (user, password) in users {
            script += " && mosquitto_passwd \(hash.map { "-H \($0) " } ?? "")-b '\(path)' '\(user)' '\(password)'"
        }
        script += " && cat '\(path)'"
        return try ShellCommand.check(script)
    }

    @Test("a PBKDF2 ($7$) file from mosquitto_passwd verifies: right password yes, wrong no")
    func pbkdf2FromMosquitto() throws {
        let text = try mosquittoFile([("alice", "s3cret"), ("bob", "hunter2 with spaces")])
        let file = try PasswordFile(parsing: text, file: "pw")
        let alice = try #require(file.hash(of: "alice"))
        guard case .pbkdf2SHA512(let iterations, let salt, _) = alice else {
            Issue.record("expected $7$, got \(alice)"); return
        }
        #expect(iterations == 101 && salt.count == 12)
        #expect(alice.verify(Array("s3cret".utf8)))
        #expect(!alice.verify(Array("s3creT".utf8)))
        #expect(!alice.verify([]))
        #expect(try #require(file.hash(of: "bob")).verify(Array("hunter2 with spaces".utf8)))
        #expect(file.hash(of: "carol") == nil)
    }

    @Test("a SHA-512 ($6$) file from mosquitto_passwd -H sha512 verifies")
    func sha512FromMosquitto() throws {
        let text = try mosquittoFile([("dev-1", "pässwörd")], hash: "sha512")
        let hash = try #require(try PasswordFile(parsing: text, file: "pw").hash(of: "dev-1"))
        guard case .sha512 = hash else { Issue.record("expected $6$, got \(hash)"); return }
        #expect(hash.verify(Array("pässwörd".utf8)))
        #expect(!hash.verify(Array("passwörd".utf8)))
    }

    @Test("argon2id: hashed and verified through libargon2, the encoded form round-trips")
    func argon2id() throws {
        let hash = try PasswordHash(hashing: Array("correct horse".utf8), algorithm: .argon2id)
        #expect(hash.encoded.hasPrefix("$argon2id$v=19$m=47104,t=1,p=1$"))
        let parsed = try PasswordHash(parsing: hash.encoded)
        #expect(parsed == hash)
        #expect(parsed.verify(Array("correct horse".utf8)))
        #expect(!parsed.verify(Array("correct horsE".utf8)))
        // A reference vector from the argon2 reference implementation's own tool
        // (`echo -n password | argon2 somesalt -id -t 2 -m 16 -p 4 -e`).
        let reference = try PasswordHash(parsing: "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo")
        #expect(reference.verify(Array("password".utf8)))
    }

    @Test("what Perch writes with sha512-pbkdf2 has mosquitto's shape and verifies; salts differ")
    func writesPBKDF2() throws {
        let a = try PasswordHash(hashing: Array("pw".utf8), algorithm: .pbkdf2)
        let b = try PasswordHash(hashing: Array("pw".utf8), algorithm: .pbkdf2)
        #expect(a.encoded.hasPrefix("$7$101$"))
        #expect(a.encoded.split(separator: "$").count == 4)
        #expect(a != b)
        #expect(try PasswordHash(parsing: a.encoded).verify(Array("pw".utf8)))
    }

    @Test("bad lines stop the load naming file and line: plain text, unknown hash, malformed hash, no colon")
    func errors() {
        func error(_ text: String) -> AccessFileError? {
            do { _ = try PasswordFile(parsing: text, file: "/etc/perch/passwd"); return nil } catch { return error }
        }
        let good = "# users\n\nalice:$6$c2FsdHNhbHRzYWx0$" + String(repeating: "A", count: 86) + "==\n"
        #expect(error(good) == nil)
        #expect(error(good + "bob:plaintext\n") == AccessFileError(file: "/etc/perch/passwd", line: 4, .plainTextPassword))
        #expect(error("carol:$5$abc$def\n")?.reason == .unknownHash("5"))
        #expect(error("dave:$7$x$abc$def\n")?.reason == .badHash("$7$"))
        #expect(error("dave:$7$101$!!!!$AAAA\n")?.reason == .badHash("$7$"))
        #expect(error("\nerin\n") == AccessFileError(file: "/etc/perch/passwd", line: 2, .missingSeparator))
        #expect(error(":$6$abc$def\n")?.reason == .emptyUsername)
        #expect(error("x:plain")?.description == "/etc/perch/passwd:1: a plain-text password; hash the file first with `perch passwd -U FILE` (as `mosquitto_passwd -U`)")
    }

    @Test("plain-text lines are kept for an upgrade; set, remove and text keep file order")
    func editing() throws {
        var file = try PasswordFile(parsing: "a:one\nb:two\nc:three\n", file: "pw", allowPlainText: true)
        #expect(file.entries.map(\.secret) == [.plainText("one"), .plainText("two"), .plainText("three")])
        let removed = file.remove("b")
        let again = file.remove("b")
        #expect(removed && !again)
        let hash = try PasswordHash(hashing: Array("x".utf8), algorithm: .pbkdf2)
        file.set(.init(username: "a", secret: .hashed(hash)))
        file.set(.init(username: "d", secret: .hashed(hash)))
        #expect(file.entries.map(\.username) == ["a", "c", "d"])
        #expect(file.text == "a:\(hash.encoded)\nc:three\nd:\(hash.encoded)\n")
        #expect(file.hash(of: "d") == hash)
        #expect(file.hash(of: "c") == nil)
    }
}

@Suite("Verification cache")
struct VerificationCacheTests {
    @Test("keys depend on realm, user, password and stored hash; bounded, oldest out first")
    func keys() throws {
        let hash = try PasswordHash(hashing: Array("pw".utf8), algorithm: .pbkdf2)
        let other = try PasswordHash(hashing: Array("pw".utf8), algorithm: .pbkdf2)
        var cache = VerificationCache(limit: 2)
        let key = cache.key(realm: 0, username: "alice", password: Array("pw".utf8), hash: hash)
        #expect(key.count == 32)
        #expect(!key.starts(with: Array("pw".utf8)))
        #expect(key == cache.key(realm: 0, username: "alice", password: Array("pw".utf8), hash: hash))
        for different in [cache.key(realm: 1, username: "alice", password: Array("pw".utf8), hash: hash),
                          cache.key(realm: 0, username: "alicf", password: Array("pw".utf8), hash: hash),
                          cache.key(realm: 0, username: "alice", password: Array("pW".utf8), hash: hash),
                          cache.key(realm: 0, username: "alice", password: Array("pw".utf8), hash: other)] {
            #expect(different != key)
        }
        // Another process (another secret) derives other keys.
        #expect(VerificationCache().key(realm: 0, username: "alice", password: Array("pw".utf8), hash: hash) != key)
        let b = cache.key(realm: 0, username: "bob", password: [], hash: hash)
        let c = cache.key(realm: 0, username: "carol", password: [], hash: hash)
        cache.insert(key)
        cache.insert(b)
        #expect(cache.contains(key) && cache.contains(b))
        cache.insert(c)
        #expect(!cache.contains(key) && cache.contains(b) && cache.contains(c) && cache.count == 2)
        cache.removeAll()
        #expect(cache.count == 0 && !cache.contains(b))
    }
}
