#if canImport(Glibc)
import Glibc
#endif
import PerchServer
import PerchStore
import PerchTestKit
import Testing

@Suite("Persistence configuration")
struct PersistenceConfigTests {
    @Test("persistence_sync always | interval, persistence_compaction_bytes; always is the default")
    func directives() throws {
        #expect(try ConfigFile.parse("", file: "t.conf").persistenceSync == .always)
        #expect(try ConfigFile.parse("persistence_sync interval\n", file: "t.conf").persistenceSync == .interval)
        #expect(try ConfigFile.parse("persistence_sync always\n", file: "t.conf").persistenceSync == .always)
        #expect(try ConfigFile.parse("persistence_compaction_bytes 4096\n", file: "t.conf").persistenceCompactionBytes == 4096)
    }

    @Test("a bad persistence_sync value stops the start naming the line")
    func badValue() {
        #expect(throws: ConfigError.self) { try ConfigFile.parse("persistence_sync sometimes\n", file: "t.conf") }
        #expect(throws: ConfigError.self) { try ConfigFile.parse("persistence_compaction_bytes 0\n", file: "t.conf") }
    }

    @Test("perch refuses to start on a damaged log naming file and offset, and starts with --recover")
    func recoverFlag() throws {
        var template = Array("/tmp/perch-recover-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        defer {
            for name in ["perch.conf", "data/perch.log.1", "data/perch.log.2", "data/perch.log.3", "data/perch.db"] {
                unlink(directory + "/" + name)
            }
            rmdir(directory + "/data")
            rmdir(directory)
        }
        mkdir(directory + "/data", 0o755)
        // A log whose first record is damaged and whose second is valid.
        let store = FileStore(directory: directory + "/data")
        _ = try store.open(now: .seconds(1))
        for topic in ["a", "b"] {
            store.apply(.retain(.init(topic: .init(unchecked: topic), payload: [1], qos: .atLeastOnce, retain: true)))
            try store.commit(now: .seconds(1))
        }
        try store.close(now: .seconds(1))
        let log = directory + "/data/perch.log.1"
        let fd = open(log, O_RDWR)
        var byte: UInt8 = 0xFF
        _ = pwrite(fd, &byte, 1, 20)
        close(fd)
        let config = "listener 0 127.0.0.1\npersistence true\npersistence_location \(directory)/data\n"
        let cfd = open(directory + "/perch.conf", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = config.utf8CString.withUnsafeBytes { write(cfd, $0.baseAddress, $0.count - 1) }
        close(cfd)

        let refused = try PerchProcess(["-c", directory + "/perch.conf"])
        #expect(refused.waitForExit() == 1)
        #expect(refused.text.contains("\(log): at byte 8"))
        let recovered = try PerchProcess(["-c", directory + "/perch.conf", "--recover"])
        #expect(recovered.waitForOutput("recovered 1 retained messages"))
        recovered.signal(SIGTERM)
        #expect(recovered.waitForExit() == 0)
    }
}
