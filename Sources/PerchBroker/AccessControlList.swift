import PerchCodec

/// A mosquitto-style ACL as data: what each client may read, write and subscribe to. The
/// file parser (`PerchAccess`) builds it; the broker evaluates it for every PUBLISH, Will,
/// SUBSCRIBE and delivery, in the core.
///
///     topic [read|write|readwrite|deny] FILTER     before any `user` line: anonymous clients
///     user NAME                                    the `topic` lines after it: that user
///     pattern [read|write|readwrite|deny] FILTER   every client, %c = client id, %u = user name
///
/// Semantics: what is not granted is denied; a matching `deny` wins over any grant. A
/// pattern naming `%u` never applies to a client without a user name, and a substituted
/// client id or user name is one literal level: `+`, `#` or `/` in it cannot widen a
/// pattern (mosquitto CVE-2017-7650).
public struct AccessControlList: Sendable, Hashable {
    public enum Access: Sendable, Hashable {
        case read, write, readWrite, deny

        var grantsRead: Bool { self == .read || self == .readWrite }
        var grantsWrite: Bool { self == .write || self == .readWrite }
    }

    /// One `topic` or `pattern` line: its access and filter (for patterns, with `%c` / `%u`).
    public struct Rule: Sendable, Hashable {
        public var access: Access
        public var filter: String
        public init(_ access: Access, _ filter: String) {
            self.access = access
            self.filter = filter
        }
    }

    /// `topic` lines before the first `user` line.
    public var anonymous: [Rule]
    /// `topic` lines under each `user NAME` (names compared as bytes).
    public var users: [ExactString: [Rule]]
    /// `pattern` lines, wherever they stand.
    public var patterns: [Rule]

    public init(anonymous: [Rule] = [], users: [ExactString: [Rule]] = [:], patterns: [Rule] = []) {
        self.anonymous = anonymous
        self.users = users
        self.patterns = patterns
    }

    /// Whether a pattern names `%u` (byte search: `String.contains(String)` would link the
    /// regex engine, about 1.5 MB of the gateway binary).
    static func mentionsUsername(_ pattern: String) -> Bool {
        var previous: UInt8 = 0
        for byte in pattern.utf8 {
            if previous == UInt8(ascii: "%") && byte == UInt8(ascii: "u") { return true }
            previous = byte
        }
        return false
    }

    /// The rules that apply to one client, patterns substituted.
    func rights(clientID: String, username: String?) -> AccessRights {
        var rules: [AccessRights.Rule] = []
        let own = username.map { users[ExactString($0)] ?? [] } ?? anonymous
        for rule in own { rules.append(AccessRights.Rule(rule.access, levels: AccessRights.levels(rule.filter))) }
        for rule in patterns {
            if username == nil && Self.mentionsUsername(rule.filter) { continue }
            let levels = AccessRights.levels(rule.filter, clientID: clientID, username: username ?? "")
            rules.append(AccessRights.Rule(rule.access, levels: levels))
        }
        return AccessRights(rules: rules)
    }
}

/// The ACL rules of one client, resolved: every level a literal or a wildcard.
struct AccessRights: Sendable, Hashable {
    enum Level: Sendable, Hashable {
        /// Compared byte for byte; a substituted `%c` / `%u` is one literal level even when it
        /// holds `/`, `+` or `#`, so it can only match a topic level equal to it.
        case literal([UInt8])
        case single
        case multi
        /// A substituted level holding `/`, `+` or `#`: no topic level can equal it, and no
        /// filter shares a topic with it.
        case never
    }

    struct Rule: Sendable, Hashable {
        let access: AccessControlList.Access
        let levels: [Level]
        init(_ access: AccessControlList.Access, levels: [Level]) {
            self.access = access
            self.levels = levels
        }
    }

    let rules: [Rule]
    /// The same rules flattened for the per-message checks (`AccessRights+Compiled`).
    let compiled: CompiledRules

    init(rules: [Rule]) {
        self.rules = rules
        self.compiled = CompiledRules(rules)
    }

    /// Everything allowed (a client of a realm without an ACL).
    static let unrestricted = AccessRights(rules: [Rule(.readWrite, levels: [.multi])])

    func mayRead(_ topic: String) -> Bool { compiled.allows(topic, write: false) }
    func mayWrite(_ topic: String) -> Bool { compiled.allows(topic, write: true) }

    /// SUBSCRIBE: refused when a `deny` covers every topic the filter matches, or when no
    /// read grant shares a topic with it (it could never deliver anything).
    func maySubscribe(_ filter: String) -> Bool {
        let levels = Self.levels(filter)
        var granted = false
        for rule in rules {
            if rule.access == .deny {
                if Self.covers(rule.levels, levels) { return false }
            } else if rule.access.grantsRead && !granted {
                granted = Self.intersects(rule.levels, levels)
            }
        }
        return granted
    }

    // MARK: - levels

    static func levels(_ filter: String) -> [Level] {
        filter.split(separator: "/", omittingEmptySubsequences: false).map { level in
            switch level {
            case "+": return .single
            case "#": return .multi
            default: return .literal(Array(level.utf8))
            }
        }
    }

    /// A pattern's levels with `%c` and `%u` substituted; a level that held one is literal.
    static func levels(_ pattern: String, clientID: String, username: String) -> [Level] {
        pattern.split(separator: "/", omittingEmptySubsequences: false).map { level in
            guard level.utf8.contains(UInt8(ascii: "%")) else {
                return level == "+" ? .single : level == "#" ? .multi : .literal(Array(level.utf8))
            }
            var text = ""
            var rest = Substring(level)
            while let percent = rest.firstIndex(of: "%") {
                text += rest[..<percent]
                let next = rest.index(after: percent)
                if next < rest.endIndex, rest[next] == "c" || rest[next] == "u" {
                    text += rest[next] == "c" ? clientID : username
                    rest = rest[rest.index(after: next)...]
                } else {
                    text += "%"
                    rest = rest[next...]
                }
            }
            text += rest
            let bytes = Array(text.utf8)
            let hostile = bytes.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }
            return hostile ? .never : .literal(bytes)
        }
    }

    /// Whether some topic matches both filters.
    static func intersects(_ a: [Level], _ b: [Level]) -> Bool {
        if let first = a.first, let other = b.first, dollarMismatch(first, other) { return false }
        var i = 0
        while i < a.count && i < b.count {
            switch (a[i], b[i]) {
            case (.never, _), (_, .never): return false
            case (.multi, _), (_, .multi): return true
            case (.literal(let x), .literal(let y)): if x != y { return false }
            default: break
            }
            i += 1
        }
        if a.count == b.count { return true }
        let longer = a.count > b.count ? a : b
        return longer.count == i + 1 && longer[i] == .multi
    }

    /// Whether every topic `inner` matches is matched by `outer`.
    static func covers(_ outer: [Level], _ inner: [Level]) -> Bool {
        var i = 0
        while i < outer.count {
            switch outer[i] {
            case .multi:
                // `$` topics: a first-level wildcard covers none of them; a filter that can
                // match one (its first level `+`/`#`) cannot match `$` topics either.
                return true
            case .never: return false
            case .single:
                guard i < inner.count, inner[i] != .multi, inner[i] != .never else { return false }
            case .literal(let bytes):
                guard i < inner.count, case .literal(let other) = inner[i], other == bytes else { return false }
            }
            i += 1
        }
        return inner.count == outer.count
    }

    /// A wildcard first level never meets a `$` literal first level [MQTT-4.7.2-1].
    private static func dollarMismatch(_ a: Level, _ b: Level) -> Bool {
        func isDollar(_ level: Level) -> Bool {
            if case .literal(let bytes) = level { return bytes.first == UInt8(ascii: "$") }
            return false
        }
        switch (a, b) {
        case (.single, _), (.multi, _): return isDollar(b)
        case (_, .single), (_, .multi): return isDollar(a)
        default: return false
        }
    }
}
