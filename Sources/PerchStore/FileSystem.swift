#if canImport(Glibc)
import Glibc
#endif

/// The file-system calls the store makes: the seam tests replace to inject faults (a full
/// disk, a failing fsync, a crash that loses what was not synced). `PosixFileSystem` is
/// the real one. Every call throws a `StoreError` naming the path.
package protocol StoreFileSystem: AnyObject, Sendable {
    /// Creates `path` (and missing parents) as a directory, then checks it is writable.
    func ensureWritableDirectory(_ path: String) throws(StoreError)
    /// The whole file, or nil when it does not exist.
    func read(_ path: String) throws(StoreError) -> [UInt8]?
    /// The names of the entries of a directory.
    func list(_ directory: String) throws(StoreError) -> [String]
    /// Opens `path` for appending (created empty when missing, emptied when `truncate`).
    func openForAppend(_ path: String, truncate: Bool) throws(StoreError) -> Int32
    /// Writes all of `bytes` at the end of the file.
    func append(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StoreError)
    func sync(_ fd: Int32, path: String) throws(StoreError)
    /// Cuts the file back to `length` bytes (undoing a failed append).
    func truncate(_ fd: Int32, to length: Int, path: String) throws(StoreError)
    func close(_ fd: Int32)
    func rename(_ from: String, to: String) throws(StoreError)
    func remove(_ path: String)
    /// fsync of a directory: makes renames and new names in it durable.
    func syncDirectory(_ directory: String) throws(StoreError)
    /// Writes `bytes` over the start of `path` (created when missing), without fsync;
    /// bytes after them are left as they were.
    func overwrite(_ path: String, _ bytes: [UInt8]) throws(StoreError)
}

extension StoreFileSystem {
    /// Replaces `path` atomically with `bytes`: write `path.tmp`, fsync it, rename it over
    /// `path`, fsync the directory. A crash leaves either the old or the new file, never
    /// a partial one under the real name.
    package func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(StoreError) {
        let temporary = path + ".tmp"
        let fd = try openForAppend(temporary, truncate: true)
        do throws(StoreError) {
            try append(fd, bytes, path: temporary)
            try sync(fd, path: temporary)
        } catch {
            close(fd)
            remove(temporary)
            throw error
        }
        close(fd)
        try rename(temporary, to: path)
        try syncDirectory(directory)
    }
}

/// The real file system, over Glibc.
package final class PosixFileSystem: StoreFileSystem {
    package init() {}

    static func error(_ path: String, _ what: String) -> StoreError {
        let code = errno
        let kind: StoreError.Kind = code == ENOSPC || code == EDQUOT ? .full : .io
        return StoreError(kind, path: path, "\(what): \(String(cString: strerror(code)))")
    }

    package func ensureWritableDirectory(_ path: String) throws(StoreError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw Self.error(prefix, "cannot create directory") }
            prefix += "/"
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw Self.error(path, "cannot use directory") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw StoreError(.io, path: path, "not a directory") }
        guard access(path, W_OK | X_OK) == 0 else { throw Self.error(path, "directory is not writable") }
    }

    package func read(_ path: String) throws(StoreError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw Self.error(path, "cannot open")
        }
        defer { Glibc.close(fd) }
        var info = stat()
        var bytes: [UInt8] = []
        if fstat(fd, &info) == 0 { bytes.reserveCapacity(Int(info.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Self.error(path, "cannot read") }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    package func list(_ directory: String) throws(StoreError) -> [String] {
        guard let dir = opendir(directory) else { throw Self.error(directory, "cannot list directory") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    package func openForAppend(_ path: String, truncate: Bool) throws(StoreError) -> Int32 {
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw Self.error(path, "cannot open for writing") }
        return fd
    }

    package func append(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StoreError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.error(path, "cannot write") }
            offset += n
        }
    }

    package func sync(_ fd: Int32, path: String) throws(StoreError) {
        guard fdatasync(fd) == 0 else { throw Self.error(path, "fsync failed") }
    }

    package func truncate(_ fd: Int32, to length: Int, path: String) throws(StoreError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw Self.error(path, "cannot truncate") }
    }

    package func close(_ fd: Int32) { _ = Glibc.close(fd) }

    package func overwrite(_ path: String, _ bytes: [UInt8]) throws(StoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.error(path, "cannot open for writing") }
        defer { _ = Glibc.close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + offset, $0.count - offset, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.error(path, "cannot write") }
            offset += n
        }
    }

    package func rename(_ from: String, to: String) throws(StoreError) {
        guard Glibc.rename(from, to) == 0 else { throw Self.error(to, "cannot rename \(from) to it") }
    }

    package func remove(_ path: String) { unlink(path) }

    package func syncDirectory(_ directory: String) throws(StoreError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.error(directory, "cannot open directory") }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw Self.error(directory, "fsync of directory failed") }
    }
}

/// The clock durable deadlines use (they must survive a restart, the monotonic one does not).
package enum WallClock {
    /// Milliseconds since the Unix epoch (CLOCK_REALTIME).
    package static func milliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
