import PerchAccess
@testable import PerchBroker
import Testing

/// User names in the password and ACL files are bytes: a canonically equivalent spelling
/// (`josé` with U+00E9 against `jose` + U+0301, equal as Swift strings) is another user.
@Suite("Byte-exact user names")
struct ByteExactNameTests {
    static let composed = "jos\u{E9}"
    static let decomposed = "jose\u{301}"

    @Test("a password file entry answers only the user name with its exact bytes")
    func passwordFileComparesBytes() throws {
        let hash = try PasswordHash(hashing: Array("pw".utf8), algorithm: .pbkdf2)
        var file = PasswordFile()
        file.set(.init(username: Self.composed, secret: .hashed(hash)))
        #expect(file.hash(of: Self.composed) != nil)
        #expect(file.hash(of: Self.decomposed) == nil)
        file.set(.init(username: Self.decomposed, secret: .hashed(hash)))
        #expect(file.entries.count == 2)
        #expect(file.remove(Self.decomposed) && file.hash(of: Self.composed) != nil)
    }

    @Test("[v5 MQTT-4.7.3-4] an ACL user section applies to its exact user name; %u substitutes the bytes received")
    func aclComparesBytes() throws {
        let acl = try ACLFile.parse("user \(Self.composed)\ntopic readwrite secret/#\npattern read users/%u\n", file: "acl")
        #expect(acl.users.count == 1)
        let owner = acl.rights(clientID: "c", username: Self.composed)
        let other = acl.rights(clientID: "c", username: Self.decomposed)
        #expect(owner.mayWrite("secret/x"))
        #expect(!other.mayWrite("secret/x"))
        #expect(other.mayRead("users/\(Self.decomposed)"))
        #expect(!other.mayRead("users/\(Self.composed)"))
    }
}
