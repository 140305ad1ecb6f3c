import Dispatch
import PerchAccess
import PerchBroker

/// Checks CONNECT passwords against the realms' password files off the loop.
///
///     loop: .checkPassword ─▶ cache hit? ─ yes ▶ answer in the loop's next turn
///                                       └ no ─▶ worker (one thread, nice +10): PBKDF2 / argon2id
///     worker ─▶ loop: remember a success, answer
///
/// One worker thread bounds the CPU and memory hashing takes (argon2id needs tens of MB per
/// run): a reconnect storm queues on it while every other client is served, and a storm of
/// known clients hits the `VerificationCache`. Loop-only state, except `worker`.
final class PasswordVerifier: @unchecked Sendable {
    private let worker: BackgroundThread?
    private let loop: DispatchQueue
    private var files: [PasswordFile?]
    private var cache: VerificationCache
    /// Checks waiting for the worker.
    private(set) var pending = 0

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

    /// Answers on the loop queue, never on the caller's stack.
    func check(_ check: PasswordCheck, answer: @escaping @Sendable (Bool) -> Void) {
        let hash = check.realm < files.count ? files[check.realm]?.hash(of: check.username) : nil
        guard let hash, let password = check.password else {
            loop.async { answer(false) }
            return
        }
        let key = cache.key(realm: check.realm, username: check.username, password: password, hash: hash)
        if cache.contains(key) {
            loop.async { answer(true) }
            return
        }
        guard let worker else {
            loop.async { answer(false) } // no thread could be started: nobody gets in
            return
        }
        pending += 1
        worker.submit { [self] in
            let valid = hash.verify(password)
            loop.async { [self] in
                pending -= 1
                if valid { cache.insert(key) }
                answer(valid)
            }
        }
    }
}
