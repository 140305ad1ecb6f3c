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
