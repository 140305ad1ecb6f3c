import Dispatch
import PerchAccess
import PerchBroker

/// Checks CONNECT passwords against the realms' password files off the loop.
///
///     loop: .checkPassword ─▶ unknown user, cache hit or cheap hash ($6$, mosquitto 2.0's
///                             101-iteration PBKDF2)? ─ yes ▶ answered in the same batch
///                                                   └ no ─▶ worker (one thread, nice +19)
///     worker ─▶ loop (queue.async): remember a success, answer
///
/// One worker thread bounds the CPU and memory hashing takes (argon2id needs tens of MB per
/// run): a reconnect storm queues on it while every other client is served, and a storm of
/// known clients hits the `VerificationCache`. Loop-only state, except `worker`.
final class PasswordVerifier: @unchecked Sendable {
    private let worker: BackgroundThread?
    private let loop: DispatchQueue
    private var files: [PasswordFile?]
    private var cache: VerificationCache

    init(files: [PasswordFile?], loop: DispatchQueue, cacheLimit: Int = 4096) {
        self.files = files
        self.loop = loop
        self.cache = VerificationCache(limit: cacheLimit)
        // Only a file-based realm needs the thread.
        self.worker = files.contains { $0 != nil } ? BackgroundThread() : nil
    }

    /// Ends the worker after the checks already started (shutdown).
    func stop() { worker?.stop() }

    /// New files (SIGHUP): the cache is emptied.
    func replace(files: [PasswordFile?]) {
        self.files = files
        cache.removeAll()
    }

    /// The answer when it costs the loop next to nothing; otherwise nil, and `answer` is
    /// called later on the loop queue (never on the caller's stack).
    func check(_ check: PasswordCheck, answer: @escaping @Sendable (Bool) -> Void) -> Bool? {
        let hash = check.realm < files.count ? files[check.realm]?.hash(of: check.username) : nil
        guard let hash, let password = check.password else { return false }
        let key = cache.key(realm: check.realm, username: check.username, password: password, hash: hash)
        if cache.contains(key) { return true }
        if hash.isCheap {
            let valid = hash.verify(password)
            if valid { cache.insert(key) }
            return valid
        }
        guard let worker else { return false } // no thread could be started: nobody gets in
        worker.submit { [self] in
            let valid = hash.verify(password)
            loop.async { [self] in
                if valid { cache.insert(key) }
                answer(valid)
            }
        }
        return nil
    }
}
