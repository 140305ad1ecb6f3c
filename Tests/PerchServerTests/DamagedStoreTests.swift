#if canImport(Glibc)
import Glibc
#endif
import PerchCodec
import PerchTestKit
import Testing

/// Issue 12 defect 4, from outside: a log cut to half after the broker acknowledged 100
/// retained messages was read as a torn tail (70 of 100 survived, with a warning). The
/// real `perch` now refuses to start naming the log, and `--recover` starts on what is valid.
@Suite("perch on a damaged data directory", .serialized)
struct DamagedStoreTests {
    func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : -1
    }

    @Test("[v311 MQTT-3.3.1-5] a log cut to half after 100 acknowledged retained messages stops the start, naming it; --recover starts")
    func cutLog() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let executable = ExecutableTests()
        let first = try executable.startPerch(directory)
        let port = try #require(executable.listeningPort(first))
        let publisher = try RawClient(port: port)
        try publisher.connect(version: .v311, clientID: "retainer")
        for n in UInt16(1)...100 {
            try publisher.publish("state/\(n)", Array("value \(n)".utf8), qos: .atLeastOnce, retain: true, packetID: n)
            _ = try publisher.receive { if case .puback = $0 { true } else { false } }
        }
        first.kill()
        _ = first.waitForExit()
        let log = directory + "/perch.log.1"
        let size = fileSize(log)
        #expect(size > 100 * 20)
        #expect(truncate(log, off_t(size / 2)) == 0)

        let refused = try PerchProcess(["-c", directory + "/perch.conf"])
        let status = refused.waitForExit(timeout: 20)
        #expect(status != nil && status != 0, "\(refused.text)")
        #expect(refused.text.contains("perch.log.1"), "\(refused.text)")
        #expect(refused.text.contains("were committed"), "\(refused.text)")
        #expect(fileSize(log) == size / 2) // nothing cut further by the refused start

        let recovered = try PerchProcess(["-c", directory + "/perch.conf", "--recover"])
        try #require(recovered.waitForOutput("Connection ceiling"), "\(recovered.text)")
        #expect(recovered.text.contains("perch.log.1"))
        recovered.signal(SIGTERM)
        #expect(recovered.waitForExit() == 0)
    }
}
