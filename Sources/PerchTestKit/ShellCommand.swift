#if canImport(Glibc)
import Glibc
#endif

/// A `/bin/sh -c` script run to completion, its stdout and stderr merged: how tests drive
/// `openssl` to make their own certificates (no key is ever committed).
public enum ShellCommand {
    /// Runs `script` and returns its exit status and output.
    @discardableResult
    public static func run(_ script: String) throws(ProcessError) -> (status: Int32, output: String) {
        let (child, reader) = try PerchProcess.spawn(["/bin/sh", "-c", script],
                                                   environment: ["PATH=/usr/bin:/bin:/usr/sbin:/sbin", "LC_ALL=C"])
        defer { close(reader) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
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
