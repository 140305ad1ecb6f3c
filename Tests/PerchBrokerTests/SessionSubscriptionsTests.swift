@testable import PerchBroker
import PerchCodec
import Testing

/// Issue 12 defect 2: every SUBSCRIBE entry copied the session's whole dictionary
/// (five SUBSCRIBEs of 10,000 filters took 0.7, 2.2, 3.7, 5.1 and 6.6 s, and stalled
/// every other client meanwhile), because the uniqueness check saw a second reference
/// held by the pattern binding.
@Suite("A session's subscriptions")
struct SessionSubscriptionsTests {
    static let options = SubscriptionOptions(qos: .atLeastOnce, noLocal: false, retainAsPublished: false,
                                             retainHandling: .sendOnSubscribe, identifier: nil)


    private static func options(_ qos: QoS) -> SubscriptionOptions {
        SubscriptionOptions(qos: qos, noLocal: false, retainAsPublished: false, retainHandling: .sendOnSubscribe,
                            identifier: nil)
    }

    @Test("[interp] session subscriptions behave as a dictionary through one, many and none")
    func dictionarySemantics() {
        var subs = SessionSubscriptions()
        #expect(subs.updateValue(Self.options(.atMostOnce), forKey: "a") == nil)
        #expect(subs.updateValue(Self.options(.atLeastOnce), forKey: "a")?.qos == .atMostOnce)
        #expect(subs.updateValue(Self.options(.exactlyOnce), forKey: "b") == nil)
        #expect(subs.count == 2)
        #expect(Set(subs.map(\.key)) == ["a", "b"])
        let copy = subs
        subs["c"] = Self.options(.atMostOnce)
        #expect(subs.removeValue(forKey: "a")?.qos == .atLeastOnce)
        #expect(copy.count == 2 && copy["a"]?.qos == .atLeastOnce && copy["c"] == nil) // copy on write
        subs["b"] = nil
        subs["c"] = nil
        #expect(subs.isEmpty && subs.removeValue(forKey: "x") == nil)
    }

    @Test("[v5 MQTT-3.8.4-3] inserting into an unshared set mutates it in place: 10,000 inserts and 5,000 removals copy nothing")
    func insertsInPlace() {
        var subscriptions = SessionSubscriptions()
        subscriptions.updateValue(Self.options, forKey: "a/0")
        subscriptions.updateValue(Self.options, forKey: "a/1")
        for index in 2..<10_000 { subscriptions.updateValue(Self.options, forKey: "a/\(index)") }
        #expect(subscriptions.copiesOnWrite == 0)
        for index in 0..<5_000 { subscriptions.removeValue(forKey: "a/\(index)") }
        #expect(subscriptions.copiesOnWrite == 0)
        #expect(subscriptions.count == 5_000)
    }

    @Test("a copy (a durable image) keeps what it had: the first change after copying copies once, then in place")
    func copyOnWrite() {
        var subscriptions = SessionSubscriptions()
        for index in 0..<3 { subscriptions.updateValue(Self.options, forKey: "t/\(index)") }
        let image = subscriptions
        subscriptions.updateValue(Self.options, forKey: "t/3")
        subscriptions.removeValue(forKey: "t/0")
        #expect(image.count == 3)
        #expect(image["t/0"] != nil && image["t/3"] == nil)
        #expect(subscriptions.count == 3)
        #expect(subscriptions["t/0"] == nil && subscriptions["t/3"] != nil)
        #expect(subscriptions.copiesOnWrite == 1 && image.copiesOnWrite == 0)
        subscriptions.updateValue(Self.options, forKey: "t/4")
        #expect(subscriptions.copiesOnWrite == 1)
    }
}
