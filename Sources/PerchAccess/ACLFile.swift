import PerchBroker
import PerchCodec

/// mosquitto's ACL file format, parsed into an `AccessControlList`:
///
///     # comment
///     topic [read|write|readwrite|deny] FILTER    (no access word: readwrite)
///     user NAME
///     pattern [read|write|readwrite|deny] FILTER  (%c client id, %u user name)
///
/// The filter (and a user name) is the rest of the line, spaces included, as mosquitto
/// reads it. Errors name the file, the line and what was wrong.
public enum ACLFile {
    public static func parse(_ text: String, file: String) throws(AccessFileError) -> AccessControlList {
        var acl = AccessControlList()
        var user: ExactString?
        for (number, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.drop { $0 == " " || $0 == "\t" }.trimmingSuffix { $0 == "\r" || $0 == " " || $0 == "\t" }
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            func fail(_ reason: AccessFileError.Reason) -> AccessFileError {
                AccessFileError(file: file, line: number + 1, reason)
            }
            let keyword = line.prefix { $0 != " " && $0 != "\t" }
            let rest = line.dropFirst(keyword.count).drop { $0 == " " || $0 == "\t" }
            switch keyword {
            case "user":
                guard !rest.isEmpty else { throw fail(.emptyUsername) }
                user = ExactString(String(rest))
                if acl.users[ExactString(String(rest))] == nil { acl.users[ExactString(String(rest))] = [] }
            case "topic", "pattern":
                let word = rest.prefix { $0 != " " && $0 != "\t" }
                var access = AccessControlList.Access.readWrite
                var filter = rest
                if let named = Self.access(word) {
                    access = named
                    filter = rest.dropFirst(word.count).drop { $0 == " " || $0 == "\t" }
                }
                guard !filter.isEmpty else { throw fail(.missingTopic(String(keyword))) }
                guard Self.isFilter(filter) else { throw fail(.badTopic(String(filter))) }
                let rule = AccessControlList.Rule(access, String(filter))
                if keyword == "pattern" {
                    acl.patterns.append(rule)
                } else if let user {
                    acl.users[user, default: []].append(rule)
                } else {
                    acl.anonymous.append(rule)
                }
            default:
                throw fail(.unknownKeyword(String(keyword)))
            }
        }
        return acl
    }

    private static func access(_ word: Substring) -> AccessControlList.Access? {
        switch word {
        case "read": return .read
        case "write": return .write
        case "readwrite": return .readWrite
        case "deny": return .deny
        default: return nil
        }
    }

    /// A valid MQTT topic filter: `+` and `#` only as whole levels, `#` only last.
    static func isFilter(_ filter: Substring) -> Bool {
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (i, level) in levels.enumerated() {
            if level.utf8.contains(UInt8(ascii: "#")) && (level != "#" || i != levels.count - 1) { return false }
            if level.utf8.contains(UInt8(ascii: "+")) && level != "+" { return false }
        }
        return !filter.utf8.contains(0)
    }
}
