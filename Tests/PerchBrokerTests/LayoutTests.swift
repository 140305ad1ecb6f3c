import Testing
@testable import PerchBroker
import PerchCodec

/// Every idle connection holds a session slot, an entry in the broker's connection table
/// and a subscription: their sizes are what idle RSS per connection is made of (issue 5).
@Suite struct LayoutTests {
    @Test("[interp] per-connection broker structures keep their compact layout")
    func sizes() {
        print("LAYOUT Session", MemoryLayout<Session?>.stride, "Connection", MemoryLayout<Connection>.stride,
              "SessionSubscriptions", MemoryLayout<SessionSubscriptions>.stride)
        #expect(MemoryLayout<Session?>.stride <= 128)
        #expect(MemoryLayout<Connection>.stride <= 56)
        #expect(MemoryLayout<Connection?>.stride <= 56) // a slot of the broker's ConnectionMap
        #expect(MemoryLayout<SessionSubscriptions>.stride <= 8)
        #expect(MemoryLayout<SubscriptionOptions>.stride <= 24)
    }
}

@Suite struct SessionSubscriptionsTests {
    private func options(_ qos: QoS) -> SubscriptionOptions {
        SubscriptionOptions(qos: qos, noLocal: false, retainAsPublished: false, retainHandling: .sendOnSubscribe,
                            identifier: nil)
    }

    @Test("[interp] session subscriptions behave as a dictionary through one, many and none")
    func dictionarySemantics() {
        var subs = SessionSubscriptions()
        #expect(subs.updateValue(options(.atMostOnce), forKey: "a") == nil)
        #expect(subs.updateValue(options(.atLeastOnce), forKey: "a")?.qos == .atMostOnce)
        #expect(subs.updateValue(options(.exactlyOnce), forKey: "b") == nil)
        #expect(subs.count == 2)
        #expect(Set(subs.map(\.key)) == ["a", "b"])
        let copy = subs
        subs["c"] = options(.atMostOnce)
        #expect(subs.removeValue(forKey: "a")?.qos == .atLeastOnce)
        #expect(copy.count == 2 && copy["a"]?.qos == .atLeastOnce && copy["c"] == nil) // copy on write
        subs["b"] = nil
        subs["c"] = nil
        #expect(subs.isEmpty && subs.removeValue(forKey: "x") == nil)
    }
}
