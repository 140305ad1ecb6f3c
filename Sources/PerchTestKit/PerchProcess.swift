#if canImport(Glibc)
import Glibc
#endif

/// The built `perch` executable run as a child process, its stdout and stderr merged into
/// one pipe that the test reads with `poll()` timeouts (tests wait for what it prints, never
/// sleep). Shared by the executable tests and the crash tests.
public final class PerchProcess {
    public let pid: pid_t
    let output: Int32
    /// Everything read from the child so far.
    public private(set) var text = ""

    /// `perch` next to the test bundle (`.build/<triple>/debug/perch`).
    public static var executablePath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let bundle = String(decoding: buffer[0..<max(0, n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(bundle[..<(bundle.lastIndex(of: "/") ?? bundle.endIndex)]) + "/perch"
    }

    public init(_ arguments: [String]) throws(ProcessError) {
        (pid, output) = try Self.spawn([PerchProcess.executablePath] + arguments, environment: ["PATH=/usr/bin:/bin"])
    }

    /// Starts `arguments[0]` with stdout and stderr merged into a pipe; returns the child
    /// and the pipe's read end (close-on-exec, the caller owns it).
    static func spawn(_ arguments: [String], environment: [String]) throws(ProcessError) -> (pid_t, Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ProcessError("pipe failed") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, arguments[0], &actions, nil, argv, envp)
        close(fds[1])
        guard status == 0 else {
            close(fds[0])
            throw ProcessError("posix_spawn \(arguments[0]): \(String(cString: strerror(status)))")
        }
        return (child, fds[0])
    }

    deinit {
        close(output)
    }

    /// Reads output until it contains `marker` (true) or `timeout` seconds pass / EOF (false).
    public func waitForOutput(_ marker: String, timeout: Double = 10) -> Bool {
        let deadline = PerchProcess.now() + timeout
        while !text.contains(marker) {
            let remaining = deadline - PerchProcess.now()
            guard remaining > 0, readSome(timeout: remaining) else { return false }
        }
        return true
    }

    /// Reads until EOF (the child exited) and returns its exit status, or nil on timeout.
    public func waitForExit(timeout: Double = 10) -> Int32? {
        let deadline = PerchProcess.now() + timeout
        while true {
            let remaining = deadline - PerchProcess.now()
            guard remaining > 0 else {
                // Still running: never leave it behind, never block in waitpid.
                kill()
                return nil
            }
            if !readSome(timeout: remaining) && PerchProcess.now() < deadline { break }
        }
        var status: Int32 = 0
        guard waitpid(pid, &status, 0) == pid else { return nil }
        // WIFEXITED / WEXITSTATUS, spelled out (they are macros).
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -(status & 0x7F)
    }

    public func signal(_ number: Int32) { Glibc.kill(pid, number) }

    /// SIGKILL, reap it, and read what it printed last.
    public func kill() {
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        while readSome(timeout: 0) {}
    }

    /// Reads what is waiting and trims old output (keeps the pipe from filling on long runs).
    public func drainOutput() {
        while readSome(timeout: 0) {}
        if text.count > 64 * 1024 { text = String(text.suffix(16 * 1024)) }
    }

    /// One read; false on EOF or timeout (0: only what is already there).
    private func readSome(timeout: Double) -> Bool {
        var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        let milliseconds = timeout <= 0 ? 0 : Int32(max(1, timeout * 1000))
        guard poll(&descriptor, 1, milliseconds) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        text += String(decoding: chunk[0..<n], as: UTF8.self)
        return true
    }

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

public struct ProcessError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
