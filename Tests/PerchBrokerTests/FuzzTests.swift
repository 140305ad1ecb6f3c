import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Randomized event sequences")
struct FuzzTests {
    @Test("[v5 interp] seeded random events keep the broker's invariants", arguments: [1, 2, 3, 42, 1234] as [UInt64])
    func fuzz(seed: UInt64) {
        var fuzzer = BrokerFuzzer(source: SplitMix64(seed: seed))
        for _ in 0..<3000 {
            fuzzer.step()
            if !fuzzer.problems.isEmpty { break }
        }
        #expect(fuzzer.problems == [], "seed \(seed)")
        #expect(fuzzer.h.broker.statistics.messagesSent > 0)
        #expect(fuzzer.seenQoS2.values.map(\.count).reduce(0, +) > 30, "QoS 2 deliveries exercised")
    }
}
