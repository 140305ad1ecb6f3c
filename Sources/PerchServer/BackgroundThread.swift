#if canImport(Glibc)
import Glibc
#endif

/// One thread of its own that runs jobs in order at a lower scheduling priority than the
/// loop (nice +19): password hashing (PBKDF2, argon2id) takes what CPU the loop leaves, so a
/// login storm on a single-core gateway delays logins, not the established clients' traffic.
/// Measured (scripts/bench ps, broker pinned to one core, 200 logins at ~60 ms each beside 10
/// QoS 1 pairs at 1,000 msg/s): at nice +10 the pairs' p99 rose from 352 to 1,835 µs, at +19
/// it stayed at its value without the storm (311 µs). Not a Dispatch queue: renicing one of libdispatch's pool threads would slow whatever the
/// pool runs on it next, the loop included. Jobs report back by themselves (`queue.async`).
final class BackgroundThread: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var stopping = false
    private var thread: pthread_t?
    private let nice: Int32

    /// Starts the thread; nil when the system refuses one.
    init?(nice: Int32 = 19) {
        self.nice = nice
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        guard case .success(let handle) = PosixThread.start({ [unowned self] in serve() }) else { return nil }
        thread = handle
    }

    deinit {
        stop()
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(mutex)
        jobs.append(job)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Ends the thread after the job running now; jobs not started are dropped.
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
        // On Linux the nice value is per thread, and `who` 0 is the calling thread.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
        pthread_mutex_lock(mutex)
        while true {
            while head == jobs.count && !stopping { pthread_cond_wait(condition, mutex) }
            guard head < jobs.count, !stopping else { break }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            pthread_mutex_unlock(mutex)
            job()
            pthread_mutex_lock(mutex)
        }
        pthread_mutex_unlock(mutex)
    }
}
