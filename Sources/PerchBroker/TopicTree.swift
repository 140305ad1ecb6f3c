/// The subscription trie: one node per filter level, nodes in one contiguous array linked
/// by integer indices, each node holding the sessions (by integer handle) whose filter ends
/// there, with their options. No class references: a publish walks integers.
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
    }

    /// A matched share group: the node of its filter and the group name.
    struct SharedMatch: Sendable, Hashable {
        var node: Int32
        var group: String
    }

    struct Node: Sendable {
        var level: String
        var parent: Int32
        var children: [String: Int32] = [:]
        var subscribers: [Int32: SubscriptionOptions] = [:]
        var groups: [String: ShareGroup] = [:]
        var isEmpty: Bool { children.isEmpty && subscribers.isEmpty && groups.isEmpty }
    }

    private(set) var nodes: [Node] = [Node(level: "", parent: -1)]
    private var freeNodes: [Int32] = []

    /// Adds or replaces the subscription of `session` to `filter` (in share group `share`).
    mutating func insert(filter: String, share: String? = nil, session: Int32, options: SubscriptionOptions) {
        let node = nodeCreating(filter)
        guard let share else {
            nodes[Int(node)].subscribers[session] = options
            return
        }
        var group = nodes[Int(node)].groups[share] ?? ShareGroup()
        if group.members.updateValue(options, forKey: session) == nil { group.order.append(session) }
        nodes[Int(node)].groups[share] = group
    }

    private mutating func nodeCreating(_ filter: String) -> Int32 {
        var node: Int32 = 0
        for level in topicLevels(filter) {
            if let child = nodes[Int(node)].children[level] {
                node = child
            } else {
                let child = allocate(Node(level: level, parent: node))
                nodes[Int(node)].children[level] = child
                node = child
            }
        }
        return node
    }

    /// Removes the subscription of `session` to `filter` (in share group `share`); prunes
    /// emptied nodes.
    mutating func remove(filter: String, share: String? = nil, session: Int32) {
        var node: Int32 = 0
        for level in topicLevels(filter) {
            guard let child = nodes[Int(node)].children[level] else { return }
            node = child
        }
        if let share {
            if var group = nodes[Int(node)].groups[share], group.members.removeValue(forKey: session) != nil {
                group.order.removeAll { $0 == session }
                nodes[Int(node)].groups[share] = group.order.isEmpty ? nil : group
            }
        } else {
            nodes[Int(node)].subscribers[session] = nil
        }
        while node != 0 && nodes[Int(node)].isEmpty {
            let parent = nodes[Int(node)].parent
            nodes[Int(parent)].children[nodes[Int(node)].level] = nil
            nodes[Int(node)] = Node(level: "", parent: -1)
            freeNodes.append(node)
            node = parent
        }
    }

    /// Calls `body` for every (session, options) whose filter matches the topic `levels`,
    /// and appends every matching share group to `shared`. A session with several matching
    /// filters is reported once per filter.
    func forEachMatch(_ levels: [String], shared: inout [SharedMatch], _ body: (Int32, SubscriptionOptions) -> Void) {
        walk(node: 0, levels: levels, index: 0, dollar: isDollarTopic(levels), shared: &shared, body)
    }

    private func walk(node: Int32, levels: [String], index: Int, dollar: Bool, shared: inout [SharedMatch],
                      _ body: (Int32, SubscriptionOptions) -> Void) {
        let wildcardsAllowed = !(dollar && index == 0) // [MQTT-4.7.2-1]
        if wildcardsAllowed, let hash = nodes[Int(node)].children["#"] {
            report(hash, shared: &shared, body) // `#` matches the parent level and everything below it
        }
        guard index < levels.count else {
            report(node, shared: &shared, body)
            return
        }
        if let literal = nodes[Int(node)].children[levels[index]] {
            walk(node: literal, levels: levels, index: index + 1, dollar: dollar, shared: &shared, body)
        }
        if wildcardsAllowed, let plus = nodes[Int(node)].children["+"] {
            walk(node: plus, levels: levels, index: index + 1, dollar: dollar, shared: &shared, body)
        }
    }

    private func report(_ node: Int32, shared: inout [SharedMatch], _ body: (Int32, SubscriptionOptions) -> Void) {
        for (session, options) in nodes[Int(node)].subscribers { body(session, options) }
        for group in nodes[Int(node)].groups.keys { shared.append(SharedMatch(node: node, group: group)) }
    }

    /// The member of a matched share group that gets this message: round robin, skipping
    /// members for which `available` is false unless none is available.
    mutating func pickMember(_ match: SharedMatch, available: (Int32) -> Bool) -> (Int32, SubscriptionOptions)? {
        guard var group = nodes[Int(match.node)].groups[match.group], !group.order.isEmpty else { return nil }
        var chosen = group.order[group.next % group.order.count]
        for step in 0..<group.order.count {
            let candidate = group.order[(group.next + step) % group.order.count]
            if available(candidate) {
                chosen = candidate
                group.next = (group.next + step + 1) % group.order.count
                break
            }
            if step == group.order.count - 1 { group.next = (group.next + 1) % group.order.count }
        }
        nodes[Int(match.node)].groups[match.group] = group
        return group.members[chosen].map { (chosen, $0) }
    }

    private mutating func allocate(_ node: Node) -> Int32 {
        if let index = freeNodes.popLast() {
            nodes[Int(index)] = node
            return index
        }
        nodes.append(node)
        return Int32(nodes.count - 1)
    }

    /// Live nodes (for tests: pruning leaves only the root when empty).
    var liveNodeCount: Int { nodes.count - freeNodes.count }
}
