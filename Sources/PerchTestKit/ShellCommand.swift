#if canImport(Glibc)
import Glibc
#endif

/// A `/bin/sh -c` script run to completion, its stdout and stderr merged: how tests drive
/// `openssl` to make their own certificates (no key is ever committed).
public enum ShellCommand {
    /// Runs `script` and returns its exit status and output.
    @discardableResult
    public static func run(_ script: String) throws(ProcessError) -> (status: Int32, output: String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ProcessError("pipe failed") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        let words: [String] = ["/bin/sh", "-c", script]
        let argv = words.map { strdup($0) } + [nil]
        let envp = [strdup("PATH=/usr/bin:/bin:/usr/sbin:/sbin"), strdup("LC_ALL=C"), nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, "/bin/sh", &actions, nil, argv, envp)
        close(fds[1])
        defer { close(fds[0]) }
        guard spawned == 0 else { throw ProcessError("posix_spawn /bin/sh: \(String(cString: strerror(spawned)))") }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            output += chunk[0..<n]
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -(status & 0x7F)
        return (code, String(decoding: output, as: UTF8.self))
    }

    /// Runs `script` and throws with its output unless it exits 0.
    @discardableResult
    public static func check(_ script: String) throws(ProcessError) -> String {
        let (status, output) = try run(script)
        guard status == 0 else { throw ProcessError("exit \(status): \(script)\n\(output)") }
        return output
    }
}
