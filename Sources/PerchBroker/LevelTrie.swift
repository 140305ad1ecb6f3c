import PerchCodec

/// The payload of a `LevelTrie` node; a node whose payload is empty and that has no
/// children is pruned.
protocol TrieValue: Sendable {
    init()
    var isEmpty: Bool { get }
}

/// A trie of topic levels (keyed by their bytes: no Unicode normalisation, MQTT-4.7.3-4) with nodes in one contiguous array linked by integer indices
/// (no class references, no ARC per hop) and a free list. `TopicTree` (subscriptions by
/// filter) and `RetainedIndex` (messages by topic) are both built on it.
///
///     nodes: [ root | "a" | "b" | "+" | ... ]    children: level -> index
///              0      1     2     3
struct LevelTrie<Value: TrieValue>: Sendable {
    struct Node: Sendable {
        var level: String
        var parent: Int32
        var children: [ExactString: Int32] = [:]
        /// The `+` and `#` children, also in `children`, kept here so that matching a
        /// topic does not hash "+" and "#" at every level (-1: none).
        var plus: Int32 = -1
        var hash: Int32 = -1
        var value = Value()
    }

    /// The index of the root node (the empty path).
    let root: Int32 = 0
    private(set) var nodes: [Node] = [Node(level: "", parent: -1)]
    private var freeNodes: [Int32] = []

    /// Nodes in use (tests: pruning leaves only the root when the trie is empty).
    var liveNodeCount: Int { nodes.count - freeNodes.count }

    subscript(node: Int32) -> Value {
        get { nodes[Int(node)].value }
        _modify { yield &nodes[Int(node)].value }
    }

    func child(of node: Int32, _ level: String) -> Int32? { nodes[Int(node)].children[ExactString(level)] }

    /// The `+` child of `node`, if any, without a hash lookup.
    func plusChild(of node: Int32) -> Int32? {
        let child = nodes[Int(node)].plus
        return child >= 0 ? child : nil
    }

    /// The `#` child of `node`, if any, without a hash lookup.
    func hashChild(of node: Int32) -> Int32? {
        let child = nodes[Int(node)].hash
        return child >= 0 ? child : nil
    }

    func children(of node: Int32) -> [ExactString: Int32] { nodes[Int(node)].children }

    /// The node of a path, if it exists.
    func node(at levels: [String]) -> Int32? {
        var node = root
        for level in levels {
            guard let child = nodes[Int(node)].children[ExactString(level)] else { return nil }
            node = child
        }
        return node
    }

    /// The node of a path, created with its missing ancestors.
    mutating func nodeCreating(_ levels: [String]) -> Int32 {
        var node = root
        for level in levels {
            if let child = nodes[Int(node)].children[ExactString(level)] {
                node = child
                continue
            }
            let child = allocate(Node(level: level, parent: node))
            nodes[Int(node)].children[ExactString(level)] = child
            setWildcard(level, of: node, to: child)
            node = child
        }
        return node
    }

    /// Frees `node` and then its ancestors while they are empty and childless.
    mutating func prune(_ node: Int32) {
        var node = node
        while node != root && nodes[Int(node)].value.isEmpty && nodes[Int(node)].children.isEmpty {
            let parent = nodes[Int(node)].parent
            nodes[Int(parent)].children[ExactString(nodes[Int(node)].level)] = nil
            setWildcard(nodes[Int(node)].level, of: parent, to: -1)
            nodes[Int(node)] = Node(level: "", parent: -1)
            freeNodes.append(node)
            node = parent
        }
    }

    private mutating func setWildcard(_ level: String, of node: Int32, to child: Int32) {
        if level == "+" { nodes[Int(node)].plus = child } else if level == "#" { nodes[Int(node)].hash = child }
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
