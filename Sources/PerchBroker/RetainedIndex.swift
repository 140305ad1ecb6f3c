/// Retained messages by topic, in a `LevelTrie` of topic levels. Matching a filter on
/// SUBSCRIBE walks the filter's levels: literal levels follow one child, `+` every child,
/// `#` the whole subtree (and the parent level itself). Filters starting with a wildcard
/// skip `$` topics. // [MQTT-4.7.2-1]
struct RetainedIndex: Sendable {
    struct Slot: TrieValue {
        var message: Message?
        init() {}
        var isEmpty: Bool { message == nil }
    }

    private var trie = LevelTrie<Slot>()
    private(set) var count = 0

    /// Sets or replaces the retained message of `message.topic`. // [MQTT-3.3.1-5]
    mutating func set(_ message: Message) {
        let node = trie.nodeCreating(topicLevels(message.topic.string))
        if trie[node].message == nil { count += 1 }
        trie[node].message = message
    }

    /// Removes the retained message of `topic`; returns whether there was one.
    @discardableResult
    mutating func clear(_ topic: String) -> Bool {
        guard let node = trie.node(at: topicLevels(topic)), trie[node].message != nil else { return false }
        trie[node].message = nil
        count -= 1
        trie.prune(node)
        return true
    }

    /// The retained message of `topic` now, if any.
    func current(_ topic: String) -> Message? {
        trie.node(at: topicLevels(topic)).flatMap { trie[$0].message }
    }

    /// Every retained message whose topic matches the filter `levels`.
    func matching(_ levels: [String]) -> [Message] {
        var found: [Message] = []
        walk(node: trie.root, filter: levels, index: 0, into: &found)
        return found
    }

    /// Every retained message (for store snapshots).
    var all: [Message] {
        var found: [Message] = []
        collect(trie.root, into: &found)
        return found
    }

    private func walk(node: Int32, filter: [String], index: Int, into found: inout [Message]) {
        guard index < filter.count else {
            if let message = trie[node].message { found.append(message) }
            return
        }
        let level = filter[index]
        let skipDollar = index == 0 // [MQTT-4.7.2-1]
        switch level {
        case "#":
            if index > 0, let message = trie[node].message { found.append(message) }
            for (name, child) in trie.children(of: node) where !(skipDollar && name.string.utf8.first == UInt8(ascii: "$")) {
                collect(child, into: &found)
            }
        case "+":
            for (name, child) in trie.children(of: node) where !(skipDollar && name.string.utf8.first == UInt8(ascii: "$")) {
                walk(node: child, filter: filter, index: index + 1, into: &found)
            }
        default:
            if let child = trie.child(of: node, level) {
                walk(node: child, filter: filter, index: index + 1, into: &found)
            }
        }
    }

    private func collect(_ node: Int32, into found: inout [Message]) {
        if let message = trie[node].message { found.append(message) }
        for child in trie.children(of: node).values { collect(child, into: &found) }
    }
}
