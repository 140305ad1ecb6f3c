import PerchBroker
import PerchCodec
@testable import PerchStore
import Testing

@Suite("Core + store crash simulation")
struct CrashSimulationTests {
    @Test("[v311 MQTT-4.3.3-2] [v311 MQTT-4.4.0-1] random traffic with power cuts: every acknowledged message reaches the persistent subscribers (QoS 2 exactly once), every acknowledged retained update survives",
          arguments: UInt64(1)...40)
    func randomCrashes(seed: UInt64) throws {
        let sim = try CrashSimulation(seed: seed)
        for _ in 0..<150 { try sim.step(crashAllowed: true) }
        try sim.crash(beforeCommit: false)
        try sim.drain()
        #expect(sim.outstanding == nil && sim.inbox.isEmpty, "seed \(seed): flows did not complete")
        #expect(sim.violations() == [], "seed \(seed)")
        #expect(sim.acknowledged.count > 10)
        #expect(sim.crashes > 1)
    }
}
