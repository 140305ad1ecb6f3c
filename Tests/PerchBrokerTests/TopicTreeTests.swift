@testable import PerchBroker
import PerchCodec
import Testing

@Suite("TopicTree, RetainedIndex, TimerQueue")
struct TopicTreeTests {
    private func matches(_ tree: TopicTree, _ topicName: String) -> Set<Int32> {
        var found: Set<Int32> = []
        var shared: [TopicTree.SharedMatch] = []
        tree.forEachMatch(topicLevels(topicName), shared: &shared) { session, _ in found.insert(session) }
        return found
    }

    private let options = SubscriptionOptions(qos: .atMostOnce, noLocal: false, retainAsPublished: false,
                                              retainHandling: .sendOnSubscribe, identifier: nil)

    @Test("[v311 MQTT-4.7.1-2] [v311 MQTT-4.7.1-3] trie matching of + and #, empty levels")
    func matching() {
        var tree = TopicTree()
        let filters = ["a/b", "a/+", "a/#", "#", "+/+", "/+", "+", "a//c", "a/+/c"]
        for (index, f) in filters.enumerated() { tree.insert(filter: f, session: Int32(index), options: options) }
        #expect(matches(tree, "a/b") == [0, 1, 2, 3, 4])
        #expect(matches(tree, "a") == [2, 3, 6])
        #expect(matches(tree, "/x") == [3, 4, 5])
        #expect(matches(tree, "a//c") == [2, 3, 7, 8])
        #expect(matches(tree, "$SYS/a") == [])
    }

    @Test("[v311 MQTT-3.10.4-1] removal prunes empty nodes and keeps others")
    func removal() {
        var tree = TopicTree()
        tree.insert(filter: "a/b/c", session: 1, options: options)
        tree.insert(filter: "a/b", session: 2, options: options)
        tree.remove(filter: "a/b/c", session: 1)
        #expect(matches(tree, "a/b/c") == [])
        #expect(matches(tree, "a/b") == [2])
        tree.remove(filter: "a/b", session: 2)
        #expect(tree.liveNodeCount == 1)
        tree.insert(filter: "x/y", session: 3, options: options)
        #expect(matches(tree, "x/y") == [3])
    }

    @Test("[v311 MQTT-3.3.1-5] retained index set, clear, match")
    func retained() {
        var index = RetainedIndex()
        for t in ["a", "a/b", "$SYS/x"] {
            index.set(Message(topic: TopicName(unchecked: t), payload: [1], qos: .atMostOnce, retain: true))
        }
        #expect(index.count == 3)
        #expect(Set(index.matching(topicLevels("a/#")).map(\.topic.string)) == ["a", "a/b"])
        let first = index.clear("a")
        let second = index.clear("a")
        #expect(first && !second)
        #expect(Set(index.all.map(\.topic.string)) == ["a/b", "$SYS/x"])
        #expect(index.matching(topicLevels("+/x")).isEmpty)
    }

    @Test("[v5 interp] timer heap pops in deadline order")
    func timers() {
        var queue = TimerQueue()
        var generator = SystemRandomNumberGenerator()
        var deadlines: [Int64] = []
        for i in 0..<200 {
            let ms = Int64.random(in: 0..<1000, using: &generator)
            deadlines.append(ms)
            queue.schedule(.connectTimeout(ConnectionID(UInt64(i))), at: Timestamp(milliseconds: ms))
        }
        var popped: [Int64] = []
        while let deadline = queue.nextDeadline, queue.popDue(now: Timestamp(milliseconds: 1000)) != nil {
            popped.append(deadline.milliseconds)
        }
        #expect(popped == deadlines.sorted())
    }
}

extension TopicTreeTests {
    @Test("[v5 interp] topicLevels splits at every / on bytes, empty levels kept, like split(separator:)")
    func levelsMatchSplit() {
        for topic in ["", "/", "a", "a/b", "a//b", "/a/", "//", "$SYS/x", "ä/ö/ü", "a/😀/b", "sport/tennis/player1/#"] {
            let expected = topic.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            #expect(topicLevels(topic) == expected, "\(topic)")
        }
    }

    @Test("[v311 MQTT-4.7.1-2] [v311 MQTT-4.7.1-3] the + and # shortcuts follow inserts and removals")
    func wildcardShortcutsFollowChanges() {
        var tree = TopicTree()
        tree.insert(filter: "a/+", session: 1, options: options)
        tree.insert(filter: "a/#", session: 2, options: options)
        #expect(matches(tree, "a/x") == [1, 2])
        tree.remove(filter: "a/+", session: 1)
        #expect(matches(tree, "a/x") == [2])
        tree.remove(filter: "a/#", session: 2)
        #expect(matches(tree, "a/x").isEmpty)
        tree.insert(filter: "a/#", session: 3, options: options) // reuses freed nodes
        #expect(matches(tree, "a/x") == [3])
        #expect(matches(tree, "a") == [3])
    }
}

extension TopicTreeTests {
    private func cachedMatches(_ tree: inout TopicTree, _ topic: String) -> [Int32] {
        var shared: [TopicTree.SharedMatch] = []
        var found: [Int32] = []
        tree.forEachMatch(topic: topic, shared: &shared) { session, _ in found.append(session) }
        return found
    }

    @Test("[v311 MQTT-4.7.1-2] [v5 interp] matches by topic name (cached) equal the trie walk, and follow every subscription change")
    func matchCacheFollowsChanges() {
        var tree = TopicTree()
        tree.insert(filter: "a/+", session: 1, options: options)
        tree.insert(filter: "$SYS/#", session: 2, options: options)
        tree.insert(filter: "#", session: 3, options: options)
        for topic in ["a/b", "a/b", "$SYS/x", "$SYS/x", "c"] {
            #expect(Set(cachedMatches(&tree, topic)) == matches(tree, topic), "\(topic)")
        }
        tree.insert(filter: "a/b", session: 4, options: options)
        #expect(Set(cachedMatches(&tree, "a/b")) == [1, 3, 4])
        tree.remove(filter: "#", session: 3)
        #expect(Set(cachedMatches(&tree, "a/b")) == [1, 4])
        #expect(cachedMatches(&tree, "c").isEmpty)
        tree.insert(filter: "c", share: "g", session: 5, options: options)
        var shared: [TopicTree.SharedMatch] = []
        tree.forEachMatch(topic: "c", shared: &shared) { _, _ in }
        #expect(shared.map(\.group) == ["g"])
    }
}

extension TopicTreeTests {
    private func entries(_ map: SubscriberMap) -> [Int32: QoS] {
        var all: [Int32: QoS] = [:]
        map.forEach { all[$0] = $1.qos }
        return all
    }

    @Test("[v5 interp] a node's subscriber map keeps one entry inline and more in a dictionary, through any removals")
    func subscriberMap() {
        var map = SubscriberMap()
        #expect(map.isEmpty)
        var qos1 = options
        qos1.qos = .atLeastOnce
        map[1] = options
        map[2] = qos1
        map[3] = options
        map[1] = qos1 // replace the inline one
        #expect(entries(map) == [1: .atLeastOnce, 2: .atLeastOnce, 3: .atMostOnce])
        map[1] = nil // the inline one goes: another takes its place
        #expect(entries(map) == [2: .atLeastOnce, 3: .atMostOnce] && map[1] == nil && map[3]?.qos == .atMostOnce)
        map[9] = nil
        map[3] = nil
        map[2] = nil
        #expect(map.isEmpty && entries(map).isEmpty)
        map[4] = options
        #expect(entries(map) == [4: .atMostOnce])
    }
}
