import Dispatch
import PerchBroker
import PerchCodec

/// Compaction off the loop. On the loop (cheap): seal the current log, start the next one,
/// take copy-on-write copies of the two maps. On `CompactionState.queue`: encode the
/// snapshot from those immutable copies, write it atomically (tmp, fsync, rename, directory
/// fsync), then delete the sealed logs. A crash at any point leaves a snapshot plus logs
/// whose replay gives the same state: records are whole images, replaying one again after
/// the snapshot that already holds it changes nothing.
extension FileStore {
    func maybeCompact(now: Timestamp) {
        guard !compaction.isRunning else { return }
        guard compactAtNextCommit || logLength > max(compactionThreshold, snapshotSize) else { return }
        let sealed = sealedLogs + [logPath(logIndex)]
        do throws(StoreError) {
            try startLog(index: logIndex + 1)
        } catch {
            compaction.record(.failure(error, []))
            return
        }
        sealedLogs = []
        compactAtNextCommit = false
        let clocks = StoreRecord.Clocks(monotonic: now, wallMilliseconds: wallClock())
        let job = CompactionJob(retained: retained, sessions: sessionRecords, clocks: clocks, sealedLogs: sealed,
                                snapshotPath: snapshotPath, directory: directory, fs: fs)
        compaction.start(job)
    }

    /// Takes the outcome of a finished compaction (a failed one is retried later: its
    /// sealed logs stay and are replaced by the next snapshot).
    func finishCompactionIfDone() {
        guard let outcome = compaction.takeOutcome() else { return }
        switch outcome {
        case .success(let size, _): snapshotSize = size
        case .failure(let error, let sealed):
            sealedLogs = sealed + sealedLogs
            if lastCompactionError != error { warnings.append("compaction failed, will retry: \(error)") }
            lastCompactionError = error
        }
    }

    /// Writes a snapshot of the current state now, on the calling thread (tests, tools).
    package func compactNow(now: Timestamp) throws(StoreError) {
        compaction.wait()
        finishCompactionIfDone()
        compactAtNextCommit = true
        maybeCompact(now: now)
        compaction.wait()
        finishCompactionIfDone()
        if let error = lastCompactionError {
            lastCompactionError = nil
            throw error
        }
    }
}

/// One snapshot to write, from immutable copies.
struct CompactionJob: Sendable {
    let retained: [String: Message]
    /// Encoded session records, written as they are.
    let sessions: [String: [UInt8]]
    let clocks: StoreRecord.Clocks
    let sealedLogs: [String]
    let snapshotPath: String
    let directory: String
    let fs: any StoreFileSystem

    func run() -> CompactionState.Outcome {
        var out = StoreRecord.header(magic: StoreRecord.snapshotMagic)
        var scratch: [UInt8] = []
        for topic in retained.keys.sorted() {
            StoreRecord.retain(retained[topic]!).encode(clocks: clocks, into: &out, scratch: &scratch)
        }
        for clientID in sessions.keys.sorted() { out += sessions[clientID]! }
        StoreRecord.end(count: retained.count + sessions.count).encode(clocks: clocks, into: &out, scratch: &scratch)
        do throws(StoreError) {
            try fs.writeAtomically(out, to: snapshotPath, directory: directory)
            for path in sealedLogs { fs.remove(path) }
            try fs.syncDirectory(directory)
        } catch {
            return .failure(error, sealedLogs)
        }
        return .success(out.count, sealedLogs)
    }
}

/// The hand-over between the loop and the compaction queue: the loop starts a job and
/// later takes its outcome; a small lock queue guards the two fields.
final class CompactionState: @unchecked Sendable {
    enum Outcome: Sendable {
        case success(Int, [String])
        case failure(StoreError, [String])
    }

    let queue = DispatchQueue(label: "perch.compaction")
    private let lock = DispatchQueue(label: "perch.compaction.lock")
    private var running = false
    private var outcome: Outcome?

    var isRunning: Bool { lock.sync { running } }

    func start(_ job: CompactionJob) {
        lock.sync { running = true }
        queue.async { [self] in
            let result = job.run()
            lock.sync {
                outcome = result
                running = false
            }
        }
    }

    func record(_ failure: Outcome) { lock.sync { outcome = failure } }

    func takeOutcome() -> Outcome? {
        lock.sync {
            defer { outcome = nil }
            return outcome
        }
    }

    /// Blocks until the running job (if any) finished.
    func wait() { queue.sync {} }
}
