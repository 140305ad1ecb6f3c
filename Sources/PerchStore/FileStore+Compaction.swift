#if canImport(Glibc)
import Glibc
#endif
import PerchBroker
import PerchCodec

/// Compaction off the loop. On the loop (cheap): seal the current log, start the next one,
/// take copy-on-write copies of the two maps. On a thread of `CompactionState`: encode the
/// snapshot from those immutable copies, write it atomically (tmp, fsync, rename, directory
/// fsync), then delete the sealed logs. A crash at any point leaves a snapshot plus logs
/// whose replay gives the same state: records are whole images, replaying one again after
/// the snapshot that already holds it changes nothing.
extension FileStore {
    func maybeCompact(now: Timestamp) {
        guard !compaction.isRunning, logFD >= 0 else { return }
        guard compactAtNextCommit || logLength > max(compactionThreshold, snapshotSize) else { return }
        let sealed = sealedLogs + [logPath(logIndex)]
        let (sealedIndex, sealedLength) = (logIndex, syncedLength)
        do throws(StoreError) {
            try startLog(index: logIndex + 1)
        } catch {
            compaction.record(.failure(error, []))
            return
        }
        sealedLengths[sealedIndex] = sealedLength
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
        case .success(let size, let deleted):
            snapshotSize = size
            for index in sealedLengths.keys where deleted.contains(logPath(index)) { sealedLengths[index] = nil }
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
    let retained: [ExactString: Message]
    /// Encoded session records, written as they are.
    let sessions: [ExactString: [UInt8]]
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

/// The hand-over between the loop and the compaction thread: the loop starts a job on a
/// thread of its own and later takes its outcome; a mutex guards the two shared fields.
/// Only the loop starts and joins threads. (POSIX threads: PerchStore imports no Dispatch.)
final class CompactionState: @unchecked Sendable {
    enum Outcome: Sendable {
        case success(Int, [String])
        case failure(StoreError, [String])
    }

    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var running = false
    private var outcome: Outcome?
    /// The job's thread until joined (touched by the loop only).
    private var thread: pthread_t?

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        wait()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    var isRunning: Bool { locked { running } }

    /// Runs `job` on a new thread (inline when no thread can be made).
    func start(_ job: CompactionJob) {
        wait()
        locked { running = true }
        let body = Unmanaged.passRetained(Body { [self] in
            let result = job.run()
            locked {
                outcome = result
                running = false
            }
        })
        var handle = pthread_t()
        let status = pthread_create(&handle, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, body.toOpaque())
        if status == 0 {
            thread = handle
        } else {
            body.takeRetainedValue().run()
        }
    }

    func record(_ failure: Outcome) { locked { outcome = failure } }

    func takeOutcome() -> Outcome? {
        locked {
            defer { outcome = nil }
            return outcome
        }
    }

    /// Blocks until the running job (if any) finished.
    func wait() {
        guard let handle = thread else { return }
        pthread_join(handle, nil)
        thread = nil
    }
}
