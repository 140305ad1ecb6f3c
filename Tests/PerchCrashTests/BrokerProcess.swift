#if canImport(Glibc)
import Glibc
#endif
import PerchTestKit

/// The built `perch` executable on a data directory, as a child process: started with a
/// config file that listens on a kernel-chosen port (read back from its start-up log),
/// killed with SIGKILL at the moment the test picks.
final class BrokerProcess {
    let process: PerchProcess
    let port: UInt16

    /// Writes `perch.conf` into `directory` and starts `perch -c` on it; returns once it listens.
    init(directory: String) throws {
        process = try PerchProcess(["-c", Self.writeConfig(in: directory)])
        let marker = "Opening listen socket on 127.0.0.1:"
        guard process.waitForOutput(marker, timeout: 20), let port = Self.number(after: marker, in: process.text) else {
            process.kill()
            throw CrashTestError("perch did not start: \(process.text)")
        }
        self.port = port
    }

    func kill() { process.kill() }
    func drainOutput() { process.drainOutput() }
    static func now() -> Double { PerchProcess.now() }

    /// A config that listens on a kernel-chosen loopback port, keeps its data in
    /// `directory/data` and compacts every few kilobytes (so kills land in compactions).
    static func writeConfig(in directory: String) -> String {
        let config = """
            listener 0 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location \(directory)/data
            connection_messages false
            max_inflight_messages 10
            persistence_compaction_bytes 3000

            """
        let path = directory + "/perch.conf"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = config.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
        return path
    }

    /// The decimal number right after the first `marker` in `text`.
    static func number(after marker: String, in text: String) -> UInt16? {
        let utf8 = Array(text.utf8)
        let pattern = Array(marker.utf8)
        guard utf8.count >= pattern.count else { return nil }
        for start in 0...(utf8.count - pattern.count) where Array(utf8[start..<start + pattern.count]) == pattern {
            let digits = utf8[(start + pattern.count)...].prefix { $0 >= 48 && $0 <= 57 }
            return UInt16(String(decoding: digits, as: UTF8.self))
        }
        return nil
    }

}

struct CrashTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
