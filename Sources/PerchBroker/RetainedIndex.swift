/// Retained messages by topic, in a trie of topic levels like `TopicTree` (nodes in one
/// array, integer links). Matching a filter on SUBSCRIBE walks the filter's levels:
/// literal levels follow one child, `+` every child, `#` the whole subtree (and the parent
/// level itself). Filters starting with a wildcard skip `$` topics. // [MQTT-4.7.2-1]
struct RetainedIndex: Sendable {
    private struct Node: Sendable {
        var level: String
        var parent: Int32
        var children: [String: Int32] = [:]
        var message: Message?
    }

    private var nodes: [Node] = [Node(level: "", parent: -1)]
    private var freeNodes: [Int32] = []
    private(set) var count = 0

    /// Sets or replaces the retained message of `message.topic`. // [MQTT-3.3.1-5]
    mutating func set(_ message: Message) {
        var node: Int32 = 0
        for level in topicLevels(message.topic.string) {
            if let child = nodes[Int(node)].children[level] {
                node = child
            } else {
                let child = allocate(Node(level: level, parent: node))
                nodes[Int(node)].children[level] = child
                node = child
            }
        }
        if nodes[Int(node)].message == nil { count += 1 }
        nodes[Int(node)].message = message
    }

    /// Removes the retained message of `topic`; returns whether there was one.
    @discardableResult
    mutating func clear(_ topic: String) -> Bool {
        var node: Int32 = 0
        for level in topicLevels(topic) {
            guard let child = nodes[Int(node)].children[level] else { return false }
            node = child
        }
        guard nodes[Int(node)].message != nil else { return false }
        nodes[Int(node)].message = nil
        count -= 1
        while node != 0 && nodes[Int(node)].message == nil && nodes[Int(node)].children.isEmpty {
            let parent = nodes[Int(node)].parent
            nodes[Int(parent)].children[nodes[Int(node)].level] = nil
            nodes[Int(node)] = Node(level: "", parent: -1)
            freeNodes.append(node)
            node = parent
        }
        return true
    }

    /// Every retained message whose topic matches the filter `levels`.
    func matching(_ levels: [String]) -> [Message] {
        var found: [Message] = []
        walk(node: 0, filter: levels, index: 0, into: &found)
        return found
    }

    /// Every retained message (for store snapshots).
    var all: [Message] {
        var found: [Message] = []
        collect(0, into: &found)
        return found
    }

    private func walk(node: Int32, filter: [String], index: Int, into found: inout [Message]) {
        guard index < filter.count else {
            if let message = nodes[Int(node)].message { found.append(message) }
            return
        }
        let level = filter[index]
        let skipDollar = index == 0 // [MQTT-4.7.2-1]
        switch level {
        case "#":
            if index > 0, let message = nodes[Int(node)].message { found.append(message) }
            for (name, child) in nodes[Int(node)].children where !(skipDollar && name.utf8.first == UInt8(ascii: "$")) {
                collect(child, into: &found)
            }
        case "+":
            for (name, child) in nodes[Int(node)].children where !(skipDollar && name.utf8.first == UInt8(ascii: "$")) {
                walk(node: child, filter: filter, index: index + 1, into: &found)
            }
        default:
            if let child = nodes[Int(node)].children[level] {
                walk(node: child, filter: filter, index: index + 1, into: &found)
            }
        }
    }

    private func collect(_ node: Int32, into found: inout [Message]) {
        if let message = nodes[Int(node)].message { found.append(message) }
        for child in nodes[Int(node)].children.values { collect(child, into: &found) }
    }

    private mutating func allocate(_ node: Node) -> Int32 {
        if let index = freeNodes.popLast() {
            nodes[Int(index)] = node
            return index
        }
        nodes.append(node)
        return Int32(nodes.count - 1)
    }
}
