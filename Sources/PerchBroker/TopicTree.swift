import PerchCodec

/// The subscription trie: a `LevelTrie` of filter levels, each node holding the sessions
/// (by integer handle) whose filter ends there, with their options. No class references:
/// a publish walks integers.
///
///     root ─ "a" ─ "+" ─ "c"      {s3: qos1}
///          │     └ "#"            {s1: qos0, s2: qos2}
///          └ "#"                  {s4: qos1}
///
/// Matching a topic walks its levels once, following the literal child, the `+` child and
/// collecting `#` children (`a/#` also matches `a`, MQTT §4.7.1.2).
///
/// Shared subscriptions (`$share/{group}/{filter}`, v5 §4.8.2) sit in the node of their
/// filter as groups; a match reports the group and the broker picks one member per message.
struct TopicTree: Sendable {
    /// The members of one share group on one filter, served round robin.
    struct ShareGroup: Sendable {
        var members: [Int32: SubscriptionOptions] = [:]
        var order: [Int32] = []
        var next = 0
        /// Names the group on the deliveries it makes (made once, shared by all of them).
        let origin: ShareOrigin
    }

    /// A matched share group: the node of its filter and the group name.
    struct SharedMatch: Sendable, Hashable {
        var node: Int32
        var group: ExactString
    }

    /// What one filter node holds.
    struct Subscribers: TrieValue {
        var sessions = SubscriberMap()
        var groups: [ExactString: ShareGroup] = [:]
        init() {}
        var isEmpty: Bool { sessions.isEmpty && groups.isEmpty }
    }

    private var trie = LevelTrie<Subscribers>()
    /// What each recently published topic name matched, until the tree next changes (any
    /// insert or removal empties it). Topics repeat: a hit costs one hash of the name
    /// instead of splitting it and walking the trie. Bounded: emptied when full.
    private var matchCache: [ExactString: CachedMatches] = [:]
    private let matchCacheLimit = 4096

    struct CachedMatches: Sendable {
        var sessions: [(Int32, SubscriptionOptions)] = []
        var shared: [SharedMatch] = []
    }

    /// Nodes in use (tests).
    var liveNodeCount: Int { trie.liveNodeCount }

    /// Adds or replaces the subscription of `session` to `filter` (in share group `share`).
    mutating func insert(filter: String, share: String? = nil, session: Int32, options: SubscriptionOptions) {
        if !matchCache.isEmpty { matchCache.removeAll() }
        let node = trie.nodeCreating(topicLevels(filter))
        guard let share else {
            trie[node].sessions[session] = options
            return
        }
        let key = ExactString(share)
        var group = trie[node].groups[key] ?? ShareGroup(origin: ShareOrigin(filter: filter, group: share))
        if group.members.updateValue(options, forKey: session) == nil { group.order.append(session) }
        trie[node].groups[key] = group
    }

    /// Removes the subscription of `session` to `filter` (in share group `share`); prunes
    /// emptied nodes.
    mutating func remove(filter: String, share: String? = nil, session: Int32) {
        if !matchCache.isEmpty { matchCache.removeAll() }
        guard let node = trie.node(at: topicLevels(filter)) else { return }
        if let share {
            let key = ExactString(share)
            if var group = trie[node].groups[key], group.members.removeValue(forKey: session) != nil {
                group.order.removeAll { $0 == session }
                trie[node].groups[key] = group.order.isEmpty ? nil : group
            }
        } else {
            trie[node].sessions[session] = nil
        }
        trie.prune(node)
    }

    /// Calls `body` for every (session, options) whose filter matches the topic `levels`,
    /// and appends every matching share group to `shared`. A session with several matching
    /// filters is reported once per filter.
    /// `forEachMatch` for a topic name, answered from the match cache when it can be: the
    /// same sessions, options and share groups, in the same order, as walking the trie.
    mutating func forEachMatch(topic: String, shared: inout [SharedMatch], _ body: (Int32, SubscriptionOptions) -> Void) {
        let key = ExactString(topic)
        if let hit = matchCache[key] {
            for (session, options) in hit.sessions { body(session, options) }
            shared.append(contentsOf: hit.shared)
            return
        }
        var entry = CachedMatches()
        forEachMatch(topicLevels(topic), shared: &entry.shared) { entry.sessions.append(($0, $1)) }
        if matchCache.count >= matchCacheLimit { matchCache.removeAll() }
        matchCache[key] = entry
        for (session, options) in entry.sessions { body(session, options) }
        shared.append(contentsOf: entry.shared)
    }

    func forEachMatch(_ levels: [String], shared: inout [SharedMatch], _ body: (Int32, SubscriptionOptions) -> Void) {
        walk(node: trie.root, levels: levels, index: 0, dollar: isDollarTopic(levels), shared: &shared, body)
    }

    private func walk(node: Int32, levels: [String], index: Int, dollar: Bool, shared: inout [SharedMatch],
                      _ body: (Int32, SubscriptionOptions) -> Void) {
        let wildcardsAllowed = !(dollar && index == 0) // [MQTT-4.7.2-1]
        if wildcardsAllowed, let hash = trie.hashChild(of: node) {
            report(hash, shared: &shared, body) // `#` matches the parent level and everything below it
        }
        guard index < levels.count else {
            report(node, shared: &shared, body)
            return
        }
        if let literal = trie.child(of: node, levels[index]) {
            walk(node: literal, levels: levels, index: index + 1, dollar: dollar, shared: &shared, body)
        }
        if wildcardsAllowed, let plus = trie.plusChild(of: node) {
            walk(node: plus, levels: levels, index: index + 1, dollar: dollar, shared: &shared, body)
        }
    }

    private func report(_ node: Int32, shared: inout [SharedMatch], _ body: (Int32, SubscriptionOptions) -> Void) {
        trie[node].sessions.forEach(body)
        for group in trie[node].groups.keys { shared.append(SharedMatch(node: node, group: group)) }
    }

    /// The member of a matched share group that gets this message: round robin among the
    /// members of the highest `rank` (e.g. connected with room in its window, then connected,
    /// then offline); `rank` nil leaves a member out.
    mutating func pickMember(_ match: SharedMatch, rank: (Int32) -> Int?) -> (Int32, SubscriptionOptions, ShareOrigin)? {
        guard var group = trie[match.node].groups[match.group], !group.order.isEmpty else { return nil }
        let count = group.order.count
        var best: (step: Int, rank: Int)?
        for step in 0..<count {
            guard let r = rank(group.order[(group.next + step) % count]) else { continue }
            if best == nil || r > best!.rank { best = (step, r) }
        }
        guard let best else { return nil }
        let chosen = group.order[(group.next + best.step) % count]
        group.next = (group.next + best.step + 1) % count
        trie[match.node].groups[match.group] = group
        return group.members[chosen].map { (chosen, $0, group.origin) }
    }

    /// Whether the matched group has a member other than `session`.
    func hasMember(_ match: SharedMatch, otherThan session: Int32) -> Bool {
        trie[match.node].groups[match.group]?.order.contains { $0 != session } ?? false
    }

    /// The share group `group` on `filter`, if it has members.
    func sharedMatch(filter: String, group: String) -> SharedMatch? {
        let key = ExactString(group)
        guard let node = trie.node(at: topicLevels(filter)), trie[node].groups[key] != nil else { return nil }
        return SharedMatch(node: node, group: key)
    }
}
