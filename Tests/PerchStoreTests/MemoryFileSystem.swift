import Dispatch
@testable import PerchStore
import PerchTestKit

/// An in-memory `StoreFileSystem` with faults: a capacity (a full disk fails the write
/// that crosses it, after writing what fits), failing fsyncs, a read-only directory, and
/// `crash`, which keeps each file's synced bytes and a random part of the rest (what a
/// power cut leaves of the page cache). Renames are durable at once (the store fsyncs the
/// directory after each anyway). Thread-safe: compaction runs on another queue.
final class MemoryFileSystem: StoreFileSystem, @unchecked Sendable {
    struct File {
        var data: [UInt8] = []
        var synced = 0
    }

    private let lock = DispatchQueue(label: "memory-fs")
    private var files: [String: File] = [:]
    private var open: [Int32: String] = [:]
    private var nextFD: Int32 = 3
    private var capacityStorage: Int?
    private var failSyncStorage = false
    private var readOnlyStorage = false
    private var syncCount = 0

    /// Total bytes the files may hold (nil: unlimited).
    var capacity: Int? {
        get { lock.sync { capacityStorage } }
        set { lock.sync { capacityStorage = newValue } }
    }
    var failSync: Bool {
        get { lock.sync { failSyncStorage } }
        set { lock.sync { failSyncStorage = newValue } }
    }
    var readOnly: Bool {
        get { lock.sync { readOnlyStorage } }
        set { lock.sync { readOnlyStorage = newValue } }
    }
    var syncs: Int { lock.sync { syncCount } }
    var used: Int { lock.sync { files.values.reduce(0) { $0 + $1.data.count } } }

    func names() -> [String] { lock.sync { files.keys.sorted() } }
    func bytes(_ path: String) -> [UInt8]? { lock.sync { files[path]?.data } }
    func setBytes(_ path: String, _ data: [UInt8]) { lock.sync { files[path] = File(data: data, synced: data.count) } }

    /// A power cut: open files are forgotten, unsynced bytes partly lost.
    func crash(_ rng: inout SplitMix64) {
        lock.sync {
            open.removeAll()
            for (path, file) in files {
                let unsynced = file.data.count - file.synced
                let kept = unsynced > 0 ? Int(rng.next() % UInt64(unsynced + 1)) : 0
                files[path]!.data = Array(file.data.prefix(file.synced + kept))
                files[path]!.synced = files[path]!.data.count
            }
        }
    }

    func ensureWritableDirectory(_ path: String) throws(StoreError) {
        if readOnly { throw StoreError(.io, path: path, "directory is not writable: Permission denied") }
    }

    func read(_ path: String) throws(StoreError) -> [UInt8]? { bytes(path) }

    func list(_ directory: String) throws(StoreError) -> [String] {
        lock.sync { files.keys.filter { $0.hasPrefix(directory + "/") }.map { String($0.dropFirst(directory.count + 1)) } }
    }

    func openForAppend(_ path: String, truncate: Bool) throws(StoreError) -> Int32 {
        let result: Int32? = lock.sync {
            if readOnlyStorage { return nil }
            if truncate || files[path] == nil { files[path] = File() }
            nextFD += 1
            open[nextFD] = path
            return nextFD
        }
        guard let fd = result else { throw StoreError(.io, path: path, "cannot open: Permission denied") }
        return fd
    }

    func append(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StoreError) {
        let full: Bool = lock.sync {
            guard let name = open[fd] else { return false }
            let used = files.values.reduce(0) { $0 + $1.data.count }
            let room = capacityStorage.map { max(0, $0 - used) } ?? bytes.count
            files[name]!.data += bytes.prefix(room)
            return room < bytes.count
        }
        if full { throw StoreError(.full, path: path, "cannot write: No space left on device") }
    }

    func sync(_ fd: Int32, path: String) throws(StoreError) {
        let ok: Bool = lock.sync {
            guard !failSyncStorage, let name = open[fd] else { return false }
            files[name]!.synced = files[name]!.data.count
            syncCount += 1
            return true
        }
        if !ok { throw StoreError(.io, path: path, "fsync failed: Input/output error") }
    }

    func truncate(_ fd: Int32, to length: Int, path: String) throws(StoreError) {
        lock.sync {
            guard let name = open[fd] else { return }
            files[name]!.data = Array(files[name]!.data.prefix(length))
            files[name]!.synced = min(files[name]!.synced, length)
        }
    }

    func close(_ fd: Int32) { _ = lock.sync { open.removeValue(forKey: fd) } }

    func rename(_ from: String, to: String) throws(StoreError) {
        lock.sync {
            files[to] = files.removeValue(forKey: from)
            for (fd, name) in open where name == from { open[fd] = to }
        }
    }

    func remove(_ path: String) { _ = lock.sync { files.removeValue(forKey: path) } }

    /// Never synced: a crash keeps a random prefix of what was last written (a torn or
    /// lost mark), as a power cut may leave a file written without fsync.
    func overwrite(_ path: String, _ bytes: [UInt8]) throws(StoreError) {
        let full: Bool = lock.sync {
            if readOnlyStorage { return true }
            var file = files[path] ?? File()
            let grows = max(0, bytes.count - file.data.count)
            let used = files.values.reduce(0) { $0 + $1.data.count }
            if let capacity = capacityStorage, used + grows > capacity { return true }
            if file.data.count < bytes.count { file.data += [UInt8](repeating: 0, count: bytes.count - file.data.count) }
            file.data.replaceSubrange(0..<bytes.count, with: bytes)
            file.synced = 0
            files[path] = file
            return false
        }
        if full { throw StoreError(.full, path: path, "cannot write: No space left on device") }
    }

    func syncDirectory(_ directory: String) throws(StoreError) {
        if failSync { throw StoreError(.io, path: directory, "fsync of directory failed") }
    }
}
