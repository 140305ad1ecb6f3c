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
struct TopicTree: Sendable {
    struct Node: Sendable {
        var level: String
        var parent: Int32
        var children: [String: Int32] = [:]
        var subscribers: [Int32: SubscriptionOptions] = [:]
        var isEmpty: Bool { children.isEmpty && subscribers.isEmpty }
    }

    private(set) var nodes: [Node] = [Node(level: "", parent: -1)]
    private var freeNodes: [Int32] = []

    /// Adds or replaces the subscription of `session` to `filter`.
    mutating func insert(filter: String, session: Int32, options: SubscriptionOptions) {
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
        nodes[Int(node)].subscribers[session] = options
    }

    /// Removes the subscription of `session` to `filter`; prunes emptied nodes.
    mutating func remove(filter: String, session: Int32) {
        var node: Int32 = 0
        for level in topicLevels(filter) {
            guard let child = nodes[Int(node)].children[level] else { return }
            node = child
        }
        nodes[Int(node)].subscribers[session] = nil
        while node != 0 && nodes[Int(node)].isEmpty {
            let parent = nodes[Int(node)].parent
            nodes[Int(parent)].children[nodes[Int(node)].level] = nil
            nodes[Int(node)] = Node(level: "", parent: -1)
            freeNodes.append(node)
            node = parent
        }
    }

    /// Calls `body` for every (session, options) whose filter matches the topic `levels`.
    /// A session with several matching filters is reported once per filter.
    func forEachMatch(_ levels: [String], _ body: (Int32, SubscriptionOptions) -> Void) {
        walk(node: 0, levels: levels, index: 0, dollar: isDollarTopic(levels), body)
    }

    private func walk(node: Int32, levels: [String], index: Int, dollar: Bool,
                      _ body: (Int32, SubscriptionOptions) -> Void) {
        let current = nodes[Int(node)]
        let wildcardsAllowed = !(dollar && index == 0) // [MQTT-4.7.2-1]
        if wildcardsAllowed, let hash = current.children["#"] {
            report(hash, body) // `#` matches the parent level and everything below it
        }
        guard index < levels.count else {
            report(node, body)
            return
        }
        if let literal = current.children[levels[index]] {
            walk(node: literal, levels: levels, index: index + 1, dollar: dollar, body)
        }
        if wildcardsAllowed, let plus = current.children["+"] {
            walk(node: plus, levels: levels, index: index + 1, dollar: dollar, body)
        }
    }

    private func report(_ node: Int32, _ body: (Int32, SubscriptionOptions) -> Void) {
        for (session, options) in nodes[Int(node)].subscribers { body(session, options) }
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
