#if canImport(Glibc)
import Glibc
#endif
import PerchStore

/// The thread that runs the store's fsync while the loop goes on with the next batch
/// (DESIGN.md, "Durability": acknowledgements still wait for it).
///
///     loop: writeCommit ─▶ start ─────────────┐        (reads, decodes, routes more input)
///     worker:                 syncCommit ─▶ done, one byte into `wakeFD` (in the epoll set)
///     loop: next finishBatch ─▶ finish: waits if still running, flushes what was held
///
/// One job at a time; the loop never touches the store while one runs. A mutex and a
/// condition variable hand jobs over; the pipe only wakes an idle loop.
final class SyncWorker: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var job: (() -> StoreError?)?
    private var result: StoreError??
    private var stopping = false
    private var thread: pthread_t?
    /// Read end (in the epoll set) and write end of the wake-up pipe.
    let wakeFD: Int32
    private let signalFD: Int32
    /// A job was started and not finished yet (loop only).
    private(set) var isRunning = false

    init() throws(ServerError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .system("pipe") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeFD = fds[0]
        signalFD = fds[1]
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        // The thread holds the worker unowned: the owner ends it with `stop()` (the server
        // does at shutdown).
        switch PosixThread.start({ [unowned self] in serve() }) {
        case .success(let handle): thread = handle
        case .failure(let error):
            // Fully initialised: deinit runs and closes the pipe.
            throw ServerError("could not start the fsync thread (error \(error.code))")
        }
    }

    deinit {
        stop()
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
        close(wakeFD)
        close(signalFD)
    }

    /// Runs `work` on the worker. The previous job must have been finished.
    func start(_ work: @escaping () -> StoreError?) {
        precondition(!isRunning, "a sync job is still running")
        isRunning = true
        pthread_mutex_lock(mutex)
        job = work
        result = nil
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Waits for the running job and returns its error, if any; nil when none ran.
    func finish() -> StoreError?? {
        guard isRunning else { return nil }
        pthread_mutex_lock(mutex)
        while result == nil { pthread_cond_wait(condition, mutex) }
        let outcome = result!
        result = nil
        pthread_mutex_unlock(mutex)
        isRunning = false
        drainWake()
        return .some(outcome)
    }

    /// Empties the wake-up pipe (it only says "look").
    func drainWake() {
        var bytes = (UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &bytes, { read(wakeFD, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Ends the thread (after the running job, if any).
    func stop() {
        guard let handle = thread else { return }
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
        pthread_join(handle, nil)
        thread = nil
    }

    private func serve() {
        pthread_mutex_lock(mutex)
        while true {
            while job == nil && !stopping { pthread_cond_wait(condition, mutex) }
            guard let work = job else { break }
            job = nil
            pthread_mutex_unlock(mutex)
            let error = work()
            pthread_mutex_lock(mutex)
            result = .some(error)
            pthread_cond_broadcast(condition)
            var byte: UInt8 = 1
            _ = write(signalFD, &byte, 1)
        }
        pthread_mutex_unlock(mutex)
    }
}
