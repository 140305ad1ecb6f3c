import PerchCodec

/// A mosquitto_passwd file: `username:hash` lines (`#` comments and blank lines skipped),
/// each hash a `PasswordHash`. The broker loads it refusing plain-text passwords (as
/// mosquitto 2 does); `perch passwd -U` reads them to hash them.
public struct PasswordFile: Sendable {
    /// What follows `username:` on one line.
    public enum Secret: Sendable, Hashable {
        case hashed(PasswordHash)
        /// Only when parsed with `allowPlainText` (upgrading a file).
        case plainText(String)
    }

    public struct Entry: Sendable, Hashable {
        public var username: String
        public var secret: Secret
        public init(username: String, secret: Secret) {
            self.username = username
            self.secret = secret
        }
    }

    /// In file order.
    public private(set) var entries: [Entry]
    /// Entry positions by user name, compared as bytes (no Unicode normalisation).
    private var index: [ExactString: Int]

    public init(entries: [Entry] = []) {
        self.entries = []
        self.index = [:]
        for entry in entries { set(entry) }
    }

    /// Parses a file's text; errors name `file` and the line.
    public init(parsing text: String, file: String, allowPlainText: Bool = false) throws(AccessFileError) {
        self.init()
        for (number, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingSuffix { $0 == "\r" || $0 == " " || $0 == "\t" }
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw AccessFileError(file: file, line: number + 1, .missingSeparator)
            }
            let username = String(line[..<colon])
            guard !username.isEmpty else { throw AccessFileError(file: file, line: number + 1, .emptyUsername) }
            let rest = String(line[line.index(after: colon)...])
            let secret: Secret
            do {
                secret = .hashed(try PasswordHash(parsing: rest))
            } catch .plainTextPassword where allowPlainText {
                secret = .plainText(rest)
            } catch {
                throw AccessFileError(file: file, line: number + 1, error)
            }
            // The first line of a user counts, as in mosquitto.
            if index[ExactString(username)] == nil { set(Entry(username: username, secret: secret)) }
        }
    }

    /// The stored hash of `username`; nil for an unknown user.
    public func hash(of username: String) -> PasswordHash? {
        guard let position = index[ExactString(username)], case .hashed(let hash) = entries[position].secret else { return nil }
        return hash
    }

    /// Adds or replaces the user's entry (in place when present).
    public mutating func set(_ entry: Entry) {
        if let position = index[ExactString(entry.username)] {
            entries[position] = entry
        } else {
            index[ExactString(entry.username)] = entries.count
            entries.append(entry)
        }
    }

    /// Removes a user; false when there was none.
    @discardableResult
    public mutating func remove(_ username: String) -> Bool {
        guard let position = index.removeValue(forKey: ExactString(username)) else { return false }
        entries.remove(at: position)
        for (name, value) in index where value > position { index[name] = value - 1 }
        return true
    }

    /// The file's text, one `username:hash` line per entry.
    public var text: String {
        var out = ""
        for entry in entries {
            switch entry.secret {
            case .hashed(let hash): out += entry.username + ":" + hash.encoded + "\n"
            case .plainText(let password): out += entry.username + ":" + password + "\n"
            }
        }
        return out
    }
}

extension Substring {
    func trimmingSuffix(while drop: (Character) -> Bool) -> Substring {
        var end = endIndex
        while end > startIndex, drop(self[index(before: end)]) { end = index(before: end) }
        return self[startIndex..<end]
    }
}
