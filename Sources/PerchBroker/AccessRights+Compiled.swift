/// The rules of one client flattened into plain values for the checks made per message
/// (every PUBLISH and every delivery): level descriptors and their bytes in two arrays, so
/// a check walks them through buffer pointers without a reference count per rule or level.
/// `AccessRights.rules` stays for SUBSCRIBE, which is rare and compares filters.
struct CompiledRules: Sendable, Hashable {
    enum Kind: UInt8, Sendable {
        case literal, single, multi, never
    }

    struct Level: Sendable, Hashable {
        let kind: Kind
        /// The literal's bytes in `bytes`.
        let start: Int32
        let count: Int32
    }

    struct Rule: Sendable, Hashable {
        let deny: Bool
        let read: Bool
        let write: Bool
        /// The rule's levels in `levels`.
        let first: Int32
        let count: Int32
    }

    private(set) var rules: [Rule] = []
    private(set) var levels: [Level] = []
    private(set) var bytes: [UInt8] = []
    /// Everything allowed without looking (a session whose rights are not known yet).
    private(set) var everything = false

    /// Allows everything (the broker's entry for a session without rights).
    static let allowAll: CompiledRules = {
        var rules = CompiledRules([])
        rules.everything = true
        return rules
    }()

    init(_ source: [AccessRights.Rule]) {
        for rule in source {
            let first = Int32(levels.count)
            for level in rule.levels {
                switch level {
                case .literal(let literal):
                    levels.append(Level(kind: .literal, start: Int32(bytes.count), count: Int32(literal.count)))
                    bytes += literal
                case .single: levels.append(Level(kind: .single, start: 0, count: 0))
                case .multi: levels.append(Level(kind: .multi, start: 0, count: 0))
                case .never: levels.append(Level(kind: .never, start: 0, count: 0))
                }
            }
            rules.append(Rule(deny: rule.access == .deny, read: rule.access.grantsRead, write: rule.access.grantsWrite,
                              first: first, count: Int32(levels.count) - first))
        }
    }

    /// Whether a topic name may be written (`write`) or read: no matching `deny`, and a
    /// matching grant.
    func allows(_ topic: String, write: Bool) -> Bool {
        if everything { return true }
        if let answer = topic.utf8.withContiguousStorageIfAvailable({ allows($0, write: write) }) { return answer }
        var copy = topic
        return copy.withUTF8 { allows($0, write: write) }
    }

    private func allows(_ topic: UnsafeBufferPointer<UInt8>, write: Bool) -> Bool {
        rules.withUnsafeBufferPointer { rules in
            levels.withUnsafeBufferPointer { levels in
                bytes.withUnsafeBufferPointer { bytes in
                    var granted = false
                    for rule in rules {
                        if rule.deny {
                            if Self.matches(rule, levels, bytes, topic) { return false }
                        } else if !granted && (write ? rule.write : rule.read) {
                            granted = Self.matches(rule, levels, bytes, topic)
                        }
                    }
                    return granted
                }
            }
        }
    }

    /// Topic-name matching [MQTT-4.7.1-2]: `#` matches the parent level too; a `$` topic only
    /// a rule whose first level is literal [MQTT-4.7.2-1].
    private static func matches(_ rule: Rule, _ levels: UnsafeBufferPointer<Level>, _ bytes: UnsafeBufferPointer<UInt8>,
                                _ topic: UnsafeBufferPointer<UInt8>) -> Bool {
        let first = Int(rule.first), end = first + Int(rule.count)
        if topic.first == UInt8(ascii: "$") && (rule.count == 0 || levels[first].kind != .literal) { return false }
        var start = 0
        var index = first
        while true {
            var stop = start
            while stop < topic.count && topic[stop] != UInt8(ascii: "/") { stop += 1 }
            guard index < end else { return false }
            let level = levels[index]
            switch level.kind {
            case .multi: return true
            case .single: break
            case .never: return false
            case .literal:
                guard Int(level.count) == stop - start else { return false }
                let offset = Int(level.start)
                for i in 0..<Int(level.count) where bytes[offset + i] != topic[start + i] { return false }
            }
            index += 1
            if stop == topic.count {
                return index == end || (index == end - 1 && levels[index].kind == .multi)
            }
            start = stop + 1
        }
    }
}
