import Testing
@testable import PerchBroker

/// Per-connection sizes of the structures an idle connection occupies (issue 5, idle RSS).
@Suite struct LayoutTests {
    @Test("[interp] per-connection structures stay small")
    func sizes() {
        print("LAYOUT Session", MemoryLayout<Session?>.stride, "Connection", MemoryLayout<Connection>.stride,
              "ConnectedClient", MemoryLayout<ConnectedClient?>.stride, "Inflight", MemoryLayout<InflightWindow>.stride,
              "Queue", MemoryLayout<DeliveryQueue>.stride, "TimerEvent", MemoryLayout<TimerEvent>.stride,
              "SubOpts", MemoryLayout<SubscriptionOptions>.stride)
        #expect(MemoryLayout<Session?>.stride <= 256)
    }
}
