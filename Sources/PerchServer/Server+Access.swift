import Logging
import PerchAccess
import PerchBroker
import PerchCodec

/// Access control in the transport: the password checks the broker asks for, run by the
/// `PasswordVerifier` (or the embedder's `PasswordAuthenticator`) off the loop and fed back
/// as events; SIGHUP re-reading the password and ACL files.
extension Server {
    /// Reads the access files and hands the realms to the broker (start-up). Files were
    /// checked when the configuration was parsed; one that broke since stops the start.
    func loadAccess(now: Timestamp) throws(ServerError) {
        let rules: AccessRules
        do {
            rules = try AccessRules.load(configuration.accessRealms, defaultAnonymous: configuration.broker.allowAnonymous)
        } catch {
            throw ServerError("\(error)")
        }
        install(rules, now: now)
    }

    /// SIGHUP: the files again (password, ACL, PSK). A file that does not load keeps every
    /// old rule, and says why.
    func reloadAccess() {
        guard epoll != nil, !isShuttingDown else { return }
        let now = MonotonicClock.now()
        let rules: AccessRules
        var keys: [String: [String: [UInt8]]] = [:] // by PSK file
        do {
            rules = try AccessRules.load(configuration.accessRealms, defaultAnonymous: configuration.broker.allowAnonymous)
            for listener in configuration.listeners where listener.tls?.pskHint != nil {
                guard let path = listener.pskFile ?? configuration.pskFile, keys[path] == nil else { continue }
                keys[path] = try ConfigFile.readPSKFile(path, line: 0, config: path)
            }
        } catch {
            logger.error("Reloading access files: \(error); keeping the previous rules")
            return
        }
        install(rules, now: now)
        listeners.replacePSKKeys { listener in (listener.pskFile ?? configuration.pskFile).flatMap { keys[$0] } }
        finishBatch(now: now)
        logger.notice("Reloaded the password, ACL and PSK files")
    }

    private func install(_ rules: AccessRules, now: Timestamp) {
        var realms = rules.realms
        if passwordAuthenticator != nil {
            for index in realms.indices { realms[index].checksPasswords = true }
        }
        if let verifier = passwordVerifier {
            verifier.replace(files: rules.passwords)
        } else if rules.passwords.contains(where: { $0 != nil }) {
            // Only with a password file: the cache's random secret starts OpenSSL, whose
            // providers cost a plain broker 2.4 MB of RSS at start.
            passwordVerifier = PasswordVerifier(files: rules.passwords, loop: queue)
        }
        broker.handle(.accessChanged(realms), now: now, into: &actions)
    }

    /// `.checkPassword`: answered within this batch when that is cheap (`immediateAnswers`,
    /// fed to the broker by `finishBatch`), else in a later turn of the loop.
    func startPasswordCheck(_ check: PasswordCheck, on id: ConnectionID) {
        let answer: @Sendable (Bool) -> Void = { [self] valid in passwordChecked(id, valid: valid) }
        if let passwordAuthenticator {
            passwordAuthenticator.check(check) { [queue] valid in queue.async { answer(valid) } }
        } else if let verifier = passwordVerifier {
            if let valid = verifier.check(check, answer: answer) { immediateAnswers.append((id, valid)) }
        } else {
            immediateAnswers.append((id, false))
        }
    }

    /// Feeds the answers `startPasswordCheck` had at once (their actions make another round).
    func feedImmediateAnswers(now: Timestamp) {
        guard !immediateAnswers.isEmpty else { return }
        let answers = immediateAnswers
        immediateAnswers.removeAll(keepingCapacity: true)
        for (id, valid) in answers where connections.index(forKey: id) != nil {
            handleTracked(.passwordChecked(id, valid), now: now)
        }
    }

    private func passwordChecked(_ id: ConnectionID, valid: Bool) {
        guard !isShuttingDown, connections.index(forKey: id) != nil else { return }
        let now = MonotonicClock.now()
        handleTracked(.passwordChecked(id, valid), now: now)
        finishBatch(now: now)
    }

    /// mosquitto's words for a refused CONNECT, which log watchers (fail2ban) look for.
    func noteRefused(_ connack: ConnAck, on id: ConnectionID) {
        guard connack.reason == .notAuthorized || connack.reason == .badUserNameOrPassword,
              let index = connections.index(forKey: id) else { return }
        let connection = connections[position: index]
        logger.notice("Client \(connection.clientID ?? "<unknown>") disconnected, not authorised.",
                      metadata: ["peer": "\(connection.peer)"])
    }
}

/// An embedder's password check, asked for every CONNECT with a User Name instead of the
/// password files. It may answer later and on any thread (not on the caller's stack is
/// fine too); the CONNECT waits for it, nobody else does.
public protocol PasswordAuthenticator: Sendable {
    func check(_ request: PasswordCheck, reply: @escaping @Sendable (Bool) -> Void)
}
