#if canImport(Glibc)
import Glibc
#endif
import PerchAccess
import PerchBroker

/// The access files of every realm, read: the realms the broker evaluates and the password
/// files the `PasswordVerifier` checks against. Built at start and again on SIGHUP; a file
/// that does not load keeps the previous rules (the caller decides).
struct AccessRules: Sendable {
    var realms: [AccessRealm]
    /// Per realm; nil where no `password_file` is set.
    var passwords: [PasswordFile?]

    /// Reads every file the realms name. Errors name the file and line.
    static func load(_ files: [AccessFiles], defaultAnonymous: Bool) throws(AccessFileError) -> AccessRules {
        let files = files.isEmpty ? [AccessFiles(allowAnonymous: defaultAnonymous)] : files
        var rules = AccessRules(realms: [], passwords: [])
        for realm in files {
            var passwords: PasswordFile?
            if let path = realm.passwordFile {
                passwords = try PasswordFile(parsing: try Self.read(path), file: path)
            }
            let acl = try realm.aclFile.map { path throws(AccessFileError) in try ACLFile.parse(try Self.read(path), file: path) }
            rules.realms.append(AccessRealm(allowAnonymous: realm.allowAnonymous, checksPasswords: passwords != nil, acl: acl))
            rules.passwords.append(passwords)
        }
        return rules
    }

    static func read(_ path: String) throws(AccessFileError) -> String {
        guard let text = ConfigFile.readText(path) else {
            throw AccessFileError(file: path, line: 0, .unreadable(String(cString: strerror(errno))))
        }
        return text
    }
}
