#if canImport(Glibc)
import Glibc
#endif

/// The few file-system calls the store needs, as thin throwing wrappers over Glibc.
package enum FileSystem {
    static func error(_ path: String, _ what: String) -> StoreError {
        StoreError(.io, path: path, "\(what): \(String(cString: strerror(errno)))")
    }

    /// Creates `path` (and missing parents) as a directory, then checks it is writable.
    package static func ensureWritableDirectory(_ path: String) throws(StoreError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw error(prefix, "cannot create directory") }
            prefix += "/"
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw error(path, "cannot use directory") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw StoreError(.io, path: path, "not a directory") }
        guard access(path, W_OK | X_OK) == 0 else { throw error(path, "directory is not writable") }
    }

    /// The whole file, or nil when it does not exist.
    package static func read(_ path: String) throws(StoreError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw error(path, "cannot open")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw error(path, "cannot read") }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// Replaces `path` atomically with `bytes`: write `path.tmp`, fsync it, rename it over
    /// `path`, fsync the directory. A crash leaves either the old or the new file, never
    /// a partial one under the real name.
    package static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(StoreError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw error(temporary, "cannot create") }
        do throws(StoreError) {
            try writeAll(fd, bytes, path: temporary)
            guard fsync(fd) == 0 else { throw error(temporary, "fsync failed") }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw error(path, "cannot rename \(temporary) to it") }
        try syncDirectory(directory)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StoreError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw error(path, "cannot write") }
            offset += n
        }
    }

    static func syncDirectory(_ directory: String) throws(StoreError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw error(directory, "cannot open directory") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw error(directory, "fsync of directory failed") }
    }

    /// Milliseconds since the Unix epoch (CLOCK_REALTIME).
    package static func wallClockMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
