import PerchBroker
import PerchCodec

/// The durable store: an append-only log of changes plus a snapshot of the live state
/// (format: `FORMAT.md`), in one directory.
///
///     perch.db        snapshot: one record per retained message and persistent session
///     perch.log.N     the changes since, one group of records per commit
///
/// The store mirrors the live durable state in memory (retained messages by topic, each
/// persistent session as its encoded record) and remembers which keys changed since the
/// last commit (with the session images the broker handed over). `commit` encodes and
/// appends one record per changed key and, with `SyncPolicy.always`, fsyncs once: the
/// group commit of the batch. A failed append is cut back off the file and its keys stay
/// pending, so nothing on disk is damaged and the next commit retries.
///
/// When the log outgrows the snapshot, the store starts a new log file and writes a new
/// snapshot from an immutable copy of its maps on a background thread (`+Compaction`);
/// the loop never waits for it. Start-up (`+Recovery`) reads the snapshot, then replays
/// every log in order.
public final class FileStore: BrokerStore, @unchecked Sendable {
    /// When a commit fsyncs.
    public enum SyncPolicy: Sendable, Hashable {
        /// Every commit with changes (acknowledge after fsync).
        case always
        /// At most every `autosaveInterval` seconds (mosquitto-like; a crash loses the rest).
        case interval
    }

    public let directory: String
    public let snapshotPath: String
    public let policy: SyncPolicy
    public let autosaveInterval: Int64
    /// Keep every valid record of a damaged file instead of refusing to start.
    public let recover: Bool
    let fs: any StoreFileSystem
    let wallClock: @Sendable () -> Int64
    /// Compact when the log holds more than this many bytes and more than the last snapshot.
    let compactionThreshold: Int

    var retained: [ExactString: Message] = [:]
    /// The committed record of each persistent session (encoded once, reused by snapshots).
    var sessionRecords: [ExactString: [UInt8]] = [:]
    var dirtyRetained: Set<ExactString> = []
    /// Session images applied since the last commit, and sessions ended since.
    var pendingSessions: [ExactString: DurableSession] = [:]
    var endedSessions: Set<ExactString> = []
    var encodeBuffer: [UInt8] = []
    var scratch: [UInt8] = []

    var logFD: Int32 = -1
    var logIndex = 0
    /// Bytes of the current log known written (a failed append is cut back to this).
    var logLength = 0
    var unsynced = false
    /// The log `syncCommit` fsyncs, set by `writeCommit`: its fd and path, the length that
    /// fsync makes durable, and the mark to write after it.
    var syncTarget: (fd: Int32, path: String, length: Int, mark: [UInt8])?
    /// Bytes of the current log known durable (fsynced).
    var syncedLength = 0
    /// Durable lengths of the other logs still on disk (replayed at start-up, or sealed
    /// for a compaction not finished yet), by index: with the current log's, `perch.mark`.
    var sealedLengths: [Int: Int] = [:]
    let markPath: String
    var lastSync: Timestamp?
    var snapshotSize = 0
    /// Logs replaced by a snapshot once the running compaction finishes.
    var sealedLogs: [String] = []
    var compactAtNextCommit = false
    /// The last compaction failure (a full disk); reported by `compactNow`.
    public internal(set) var lastCompactionError: StoreError?
    var warnings: [String] = []
    let compaction = CompactionState()

    /// Counters for tests and the log.
    public private(set) var commits = 0
    public private(set) var syncs = 0

    public convenience init(directory: String, policy: SyncPolicy = .always, autosaveInterval: Int64 = 1800,
                            recover: Bool = false, compactionThreshold: Int = 4 << 20) {
        self.init(directory: directory, policy: policy, autosaveInterval: autosaveInterval, recover: recover,
                  fileSystem: PosixFileSystem(), wallClock: { WallClock.milliseconds() },
                  compactionThreshold: compactionThreshold)
    }

    package init(directory: String, policy: SyncPolicy = .always, autosaveInterval: Int64 = 1800,
                 recover: Bool = false, fileSystem: any StoreFileSystem,
                 wallClock: @escaping @Sendable () -> Int64, compactionThreshold: Int = 4 << 20) {
        self.directory = directory
        self.snapshotPath = Self.join(directory, "perch.db")
        self.markPath = Self.join(directory, "perch.mark")
        self.policy = policy
        self.autosaveInterval = autosaveInterval
        self.recover = recover
        self.fs = fileSystem
        self.wallClock = wallClock
        self.compactionThreshold = compactionThreshold
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    func logPath(_ index: Int) -> String { Self.join(directory, "perch.log.\(index)") }

    public var location: String? { directory }

    public func apply(_ change: StoreChange) {
        switch change {
        case .retain(let message):
            let key = ExactString(message.topic.string)
            retained[key] = message
            dirtyRetained.insert(key)
        case .clearRetained(let topic):
            let key = ExactString(topic.string)
            guard retained.removeValue(forKey: key) != nil else { return }
            dirtyRetained.insert(key)
        case .session(let session):
            let key = ExactString(session.clientID)
            pendingSessions[key] = session
            endedSessions.remove(key)
        case .sessionEnded(let clientID):
            let key = ExactString(clientID)
            pendingSessions.removeValue(forKey: key)
            if sessionRecords[key] != nil { endedSessions.insert(key) }
        }
    }

    public var hasPendingChanges: Bool {
        !dirtyRetained.isEmpty || !pendingSessions.isEmpty || !endedSessions.isEmpty
    }

    public func commit(now: Timestamp) throws(StoreError) {
        if try writeCommit(now: now) {
            try syncCommit()
            finishCommit(now: now)
        }
    }

    public func writeCommit(now: Timestamp) throws(StoreError) -> Bool {
        finishCompactionIfDone()
        if hasPendingChanges {
            if logFD < 0 { try startLog(index: logIndex) } // started on a full disk
            try appendPending(now: now)
        }
        if unsynced, policy == .always || lastSync.map({ now >= $0.adding(seconds: autosaveInterval) }) ?? true {
            syncTarget = (logFD, logPath(logIndex), logLength, mark(currentLength: logLength).encoded())
            return true
        }
        maybeCompact(now: now)
        return false
    }

    /// Reads only `syncTarget`, which the loop set before handing this to another thread
    /// and does not change until `finishCommit`.
    public func syncCommit() throws(StoreError) {
        guard let (fd, path, _, mark) = syncTarget else { return }
        try fs.sync(fd, path: path)
        // After the fsync, never before: the mark may lag the log, never lead it. Not
        // fsynced, and a failed write only leaves an older mark, which checks less.
        try? fs.overwrite(markPath, mark)
    }

    /// What `perch.mark` says with `currentLength` bytes of the current log durable.
    func mark(currentLength: Int) -> StoreMark {
        var lengths = sealedLengths
        lengths[logIndex] = currentLength
        return StoreMark(lengths: lengths, snapshotWritten: snapshotSize > 0)
    }

    public func finishCommit(now: Timestamp) {
        if let target = syncTarget { syncedLength = target.length }
        syncTarget = nil
        unsynced = false
        lastSync = now
        syncs += 1
        maybeCompact(now: now)
    }

    /// Appends one record per changed key; on failure the partial write is cut off and
    /// the keys stay pending.
    func appendPending(now: Timestamp) throws(StoreError) {
        let clocks = StoreRecord.Clocks(monotonic: now, wallMilliseconds: wallClock())
        encodeBuffer.removeAll(keepingCapacity: true)
        for topic in dirtyRetained {
            let record: StoreRecord = retained[topic].map { .retain($0) } ?? .clearRetained(topic.string)
            record.encode(clocks: clocks, into: &encodeBuffer, scratch: &scratch)
        }
        for clientID in endedSessions {
            StoreRecord.sessionEnded(clientID.string).encode(clocks: clocks, into: &encodeBuffer, scratch: &scratch)
        }
        var records: [(ExactString, [UInt8])] = []
        records.reserveCapacity(pendingSessions.count)
        for (clientID, session) in pendingSessions {
            var record: [UInt8] = []
            StoreRecord.session(session).encode(clocks: clocks, into: &record, scratch: &scratch)
            encodeBuffer += record
            records.append((clientID, record))
        }
        let path = logPath(logIndex)
        do throws(StoreError) {
            try fs.append(logFD, encodeBuffer, path: path)
        } catch {
            try? fs.truncate(logFD, to: logLength, path: path)
            throw error
        }
        logLength += encodeBuffer.count
        unsynced = true
        commits += 1
        dirtyRetained.removeAll(keepingCapacity: true)
        for clientID in endedSessions { sessionRecords[clientID] = nil }
        for (clientID, record) in records { sessionRecords[clientID] = record }
        endedSessions.removeAll(keepingCapacity: true)
        pendingSessions.removeAll(keepingCapacity: true)
    }

    public func close(now: Timestamp) throws(StoreError) {
        defer {
            if logFD >= 0 { fs.close(logFD) }
            logFD = -1
        }
        let pendingError: StoreError?
        do throws(StoreError) { try commit(now: now); pendingError = nil } catch { pendingError = error }
        if unsynced {
            try fs.sync(logFD, path: logPath(logIndex))
            syncedLength = logLength
            try? fs.overwrite(markPath, mark(currentLength: logLength).encoded())
        }
        unsynced = false
        compaction.wait()
        finishCompactionIfDone()
        if let pendingError { throw pendingError }
    }

    public func takeWarnings() -> [String] {
        defer { warnings.removeAll() }
        return warnings
    }

    /// The retained messages the store holds, ordered by topic.
    public var messages: [Message] { retained.sorted { $0.key < $1.key }.map(\.value) }
    /// The client ids of the persistent sessions the store holds, sorted.
    public var sessionIDs: [String] { sessionRecords.keys.sorted().map(\.string) }
}
