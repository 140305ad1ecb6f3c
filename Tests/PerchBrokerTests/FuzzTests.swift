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

    /// A long `perch-fuzz broker` run's input: share-group member s0 subscribes on the
    /// wire to a second group ("$share/g/+") and a non-shared "+/+" beside its "$share/g1/a/#",
    /// so a QoS 2 message on "a" reaches it once from each group, the second copy queued
    /// past its receive maximum and sent when it resumes. The fuzzer counted that a duplicate.
    static let twoGroupsFinding = hexBytes("""
        c7744631bc551aa5c7de2d8a857f4fee2b2b9400436869090cd70000002d8a31bc551aa5c7de2d8a
        857f2bee2b4f940043ce422ff46565c4b3184975507b4f940043686909507b34c4d8bdd8e0964f9f
        9fbc551a0106a5c7744631bc551aa5c7de2d8a857f2bf52b4b8a857f2bee2b4f9400436869090cd7
        2d8a31bc55dd5ac7de2d8a857f2bee2b4f9400438a30bc551aa5c72dde857f8a2bee2b4f94004368
        61090cd72d8a856b6bc76b6b5f5f5f5f5f24d5f87fab9f7175656e63656b7f2bee2b857f2bee2b68
        61090cd788ab31bc551aa5c7de2d71857f2bee2b4f942bee2b4f9400436861090cd7efb834c4d8bd
        d8e45b964f9fbc55
        """)

    @Test("[v5 MQTT-3.3.4-5] [v5 interp] §4.8.2 a member of two share groups gets a QoS 2 message from each; the fuzzer counts copies per group")
    func twoGroupsFindingReplays() {
        #expect(Self.twoGroupsFinding.count == 248)
        var fuzzer = BrokerFuzzer(source: FuzzInput(Self.twoGroupsFinding))
        fuzzer.run()
        #expect(fuzzer.problems == [])
        #expect(fuzzer.seenQoS2["s0"]?[Array("fuzz-m3".utf8)] == 2)
    }
}
