#if canImport(Glibc)
import Glibc
#endif

/// The built `perch` executable on a data directory, as a child process: started with a
/// config file that listens on a kernel-chosen port (read back from its start-up log),
/// killed with SIGKILL at the moment the test picks.
final class BrokerProcess {
    let pid: pid_t
    let output: Int32
    private(set) var text = ""
    private(set) var port: UInt16 = 0

    /// `perch` next to the test bundle (`.build/<triple>/debug/perch`).
    static var executablePath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let bundle = String(decoding: buffer[0..<max(0, n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(bundle[..<(bundle.lastIndex(of: "/") ?? bundle.endIndex)]) + "/perch"
    }

    /// Writes `perch.conf` into `directory` and starts `perch -c` on it; returns once it listens.
    init(directory: String) throws {
        let configPath = Self.writeConfig(in: directory)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CrashTestError("pipe failed") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        let words: [String] = [Self.executablePath, "-c", configPath]
        let argv = words.map { strdup($0) } + [nil]
        let envp = [strdup("PATH=/usr/bin:/bin"), nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, Self.executablePath, &actions, nil, argv, envp)
        close(fds[1])
        guard status == 0 else {
            close(fds[0])
            throw CrashTestError("posix_spawn \(Self.executablePath): \(String(cString: strerror(status)))")
        }
        pid = child
        output = fds[0]
        let marker = "Opening listen socket on 127.0.0.1:"
        guard waitForOutput(marker, timeout: 20), let port = Self.number(after: marker, in: text) else {
            kill()
            throw CrashTestError("perch did not start: \(text)")
        }
        self.port = port
    }

    deinit { close(output) }

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

    /// SIGKILL, and reap it.
    func kill() {
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        while readSome(timeout: 0) {}
    }

    /// Reads output until it contains `marker` (true) or `timeout` seconds pass / EOF (false).
    func waitForOutput(_ marker: String, timeout: Double) -> Bool {
        let deadline = Self.now() + timeout
        while !text.contains(marker) {
            let remaining = deadline - Self.now()
            guard remaining > 0, readSome(timeout: remaining) else { return false }
        }
        return true
    }

    /// Drops output read so far (keeps the pipe from filling over a long run).
    func drainOutput() {
        while readSome(timeout: 0) {}
        if text.count > 64 * 1024 { text = String(text.suffix(16 * 1024)) }
    }

    private func readSome(timeout: Double) -> Bool {
        var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(timeout * 1000)) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        text += String(decoding: chunk[0..<n], as: UTF8.self)
        return true
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

struct CrashTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
