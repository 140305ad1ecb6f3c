#if canImport(Glibc)
import Glibc
#endif
import PerchTestKit
import Testing

/// Process crash tests: a real `perch`, SIGKILL at seeded random moments, restart on the
/// same data, and the clients check that nothing acknowledged was lost or duplicated.
/// `PERCH_CRASH_ITERATIONS` (default 12) kills in total, `PERCH_CRASH_SEED` (default 1);
/// `scripts/crash-test N` runs N.
@Suite("Crash tests (SIGKILL)", .serialized)
struct CrashTests {
    static func environment(_ name: String) -> UInt64? {
        getenv(name).flatMap { UInt64(String(cString: $0)) }
    }

    @Test("[v311 MQTT-4.3.2-2] [v311 MQTT-4.3.3-2] [v311 MQTT-3.3.1-5] SIGKILL at random moments: every acknowledged QoS 1/2 message reaches the persistent subscribers (QoS 2 once), acknowledged retained updates survive")
    func sigkillLosesNothingAcknowledged() throws {
        let iterations = Int(Self.environment("PERCH_CRASH_ITERATIONS") ?? 12)
        let seed = Self.environment("PERCH_CRASH_SEED") ?? 1
        var rng = SplitMix64(seed: seed)
        var done = 0
        var round = 0
        while done < iterations {
            round += 1
            var template = Array("/tmp/perch-crash-XXXXXX".utf8CString)
            let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
            let scenario = CrashScenario(seed: rng.next(), directory: directory)
            defer {
                scenario.stop()
                removeTree(directory)
            }
            // Each data directory lives through up to 10 kills.
            for _ in 0..<min(10, iterations - done) {
                try scenario.start()
                if done > 0 || scenario.nextPayload > 1 {
                    try scenario.drain()
                    let problems = try scenario.check()
                    #expect(problems == [], "seed \(seed), round \(round), kill \(done)")
                    if !problems.isEmpty { return }
                }
                try scenario.trafficThenKill(steps: 1 + Int(rng.next() % 40))
                done += 1
            }
            try scenario.start()
            try scenario.drain()
            let problems = try scenario.check()
            #expect(problems == [], "seed \(seed), round \(round), final check")
            #expect(scenario.acknowledged.count > 0)
            if !problems.isEmpty { return }
        }
        print("crash test: \(done) SIGKILLs, seed \(seed), all checks passed")
    }
}

/// Removes a directory tree (depth 2 is all the test makes).
func removeTree(_ path: String) {
    guard let dir = opendir(path) else { return }
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        guard name != "." && name != ".." else { continue }
        let child = path + "/" + name
        if entry.pointee.d_type == UInt8(DT_DIR) { removeTree(child) } else { unlink(child) }
    }
    closedir(dir)
    rmdir(path)
}
