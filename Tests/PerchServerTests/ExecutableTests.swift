#if canImport(Glibc)
import Glibc
#endif
import PerchCodec
import PerchTestKit
import Testing

/// The `perch` executable as a user runs it. Serialized: children must not inherit each
/// other's pipes.
@Suite("perch executable", .serialized)
struct ExecutableTests {
    @Test("--test-config on a valid file prints OK and exits 0")
    func testConfigOK() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        writeFile(directory + "/perch.conf", "listener 1883 127.0.0.1\npersistence false\n")
        let process = try PerchProcess(["-c", directory + "/perch.conf", "--test-config"])
        #expect(process.waitForExit() == 0)
        #expect(process.text.contains("configuration OK"))
    }

    @Test("--test-config on a file with an unimplemented directive names file:line:directive and exits 1")
    func testConfigError() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        writeFile(directory + "/perch.conf", "listener 1883\ninclude_dir /etc/mosquitto/conf.d\n")
        let process = try PerchProcess(["-c", directory + "/perch.conf", "--test-config"])
        #expect(process.waitForExit() == 1)
        #expect(process.text.contains("\(directory)/perch.conf:2: include_dir: not implemented by Perch yet"))
    }

    @Test("--test-config names the password file and its line when a line is plain text, and the ACL file's bad line")
    func testConfigAccessFileErrors() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        writeFile(directory + "/passwd", "alice:$7$101$c2FsdHNhbHRzYWx0$" + String(repeating: "A", count: 86) + "==\nbob:hunter2\n")
        writeFile(directory + "/perch.conf", "listener 1883\npassword_file \(directory)/passwd\n")
        let process = try PerchProcess(["-c", directory + "/perch.conf", "--test-config"])
        #expect(process.waitForExit() == 1)
        #expect(process.text.contains("\(directory)/passwd:2: password_file: a plain-text password"))
        writeFile(directory + "/acl", "user alice\ntopic rw home/#\ntpoic read x\n")
        writeFile(directory + "/perch.conf", "listener 1883\nacl_file \(directory)/acl\n")
        let second = try PerchProcess(["-c", directory + "/perch.conf", "--test-config"])
        #expect(second.waitForExit() == 1)
        #expect(second.text.contains("\(directory)/acl:3: acl_file: unknown keyword `tpoic`"))
        writeFile(directory + "/perch.conf", "listener 1883\nacl_file \(directory)/missing\n")
        let third = try PerchProcess(["-c", directory + "/perch.conf", "--test-config"])
        #expect(third.waitForExit() == 1)
        #expect(third.text.contains("\(directory)/perch.conf:2: acl_file: \(directory)/missing: cannot read the file"))
    }

    @Test("an unknown flag prints the usage on stderr and exits 1")
    func badFlag() throws {
        let process = try PerchProcess(["--frobnicate"])
        #expect(process.waitForExit() == 1)
        #expect(process.text.contains("unknown option '--frobnicate'"))
        #expect(process.text.contains("Usage: perch"))
    }

    @Test("--version and --help exit 0")
    func versionAndHelp() throws {
        let version = try PerchProcess(["--version"])
        #expect(version.waitForExit() == 0)
        #expect(version.text.hasPrefix("perch "))
        let help = try PerchProcess(["--help"])
        #expect(help.waitForExit() == 0)
        #expect(help.text.contains("--test-config"))
    }

    @Test("a corrupt snapshot keeps perch from starting: exit 1 with the file and offset")
    func corruptSnapshot() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        writeFile(directory + "/perch.db", "PRCH\u{0}\u{1}\u{0}\u{0}\u{0}\u{0}")
        writeFile(directory + "/perch.conf", "listener 0 127.0.0.1\npersistence true\npersistence_location \(directory)\n")
        let process = try PerchProcess(["-c", directory + "/perch.conf"])
        #expect(process.waitForExit() == 1)
        #expect(process.text.contains("\(directory)/perch.db: at byte 8"))
    }

    @Test("SIGTERM: the start-up log names the data directory, then SIGTERM exits 0")
    func sigtermIdle() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let process = try startPerch(directory)
        process.signal(SIGTERM)
        #expect(process.waitForExit() == 0)
        #expect(process.text.contains("data directory \(directory)"))
        #expect(process.text.contains("Connection ceiling"))
    }

    @Test("[v5 MQTT-3.14.4-2] SIGTERM: a v5 client gets DISCONNECT 0x8B then the close, perch exits 0")
    func sigtermDisconnects() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let process = try startPerch(directory)
        let port = try #require(listeningPort(process))
        let client = try RawClient(port: port)
        let ack = try client.connect(version: .v5, clientID: "sigterm")
        #expect(ack.reason == .success)
        process.signal(SIGTERM)
        let packets = try #require(client.expectClosed(timeout: 10))
        #expect(packets == [.disconnect(Disconnect(reason: .serverShuttingDown))])
        #expect(process.waitForExit() == 0)
    }

    func startPerch(_ directory: String) throws -> PerchProcess {
        writeFile(directory + "/perch.conf", """
            listener 0 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location \(directory)
            log_dest stdout
            """)
        let process = try PerchProcess(["-c", directory + "/perch.conf"])
        try #require(process.waitForOutput("Connection ceiling"), "\(process.text)")
        return process
    }

    /// The port from "Opening listen socket on 127.0.0.1:PORT".
    func listeningPort(_ process: PerchProcess) -> UInt16? {
        let marker = "Opening listen socket on 127.0.0.1:"
        guard let range = process.text.firstRange(of: marker) else { return nil }
        return UInt16(process.text[range.upperBound...].prefix { $0.isNumber })
    }
}
