#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import PerchBroker
import PerchStore

extension Server {
    /// SIGTERM and SIGINT shut the server down cleanly, then call `completion` (the
    /// executable exits 0 there); SIGHUP re-reads the password and ACL files. The signals'
    /// default actions are ignored from now on.
    /// Call it before `start()`, from the thread that set the server up (never from `queue`).
    public func handleSignals(completion: @escaping @Sendable () -> Void) {
        let registered = DispatchSemaphore(value: 0)
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in // strong, like the other sources (see startSources)
                logger.notice("Received signal \(number), shutting down")
                performShutdown(completion: completion)
            }
            source.setRegistrationHandler { registered.signal() }
            source.resume()
            sources.signals.append(source)
        }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hangup.setEventHandler { [self] in
            logger.notice("Received signal \(SIGHUP), reloading the access files")
            reloadAccess()
        }
        hangup.setRegistrationHandler { registered.signal() }
        hangup.resume()
        sources.signals.append(hangup)
        // Until libdispatch has registered a source, the signal is ignored: wait, so that a
        // SIGTERM sent once the start-up log is out is never lost.
        for _ in 0..<3 { registered.wait() }
    }

    /// Stop accepting; the broker DISCONNECTs every client (v5: 0x8B Server shutting
    /// down); apply, commit, flush; close every socket; write the store's final snapshot.
    func performShutdown(completion: @escaping @Sendable () -> Void) {
        guard !isShuttingDown else {
            completion()
            return
        }
        let now = MonotonicClock.now()
        listeners.closeAll(epoll: epoll)
        broker.handle(.shutdown, now: now, into: &actions)
        finishBatch(now: now)
        if completeSync(now: now) { flushTouched(now: now) }
        isShuttingDown = true
        for id in connections.keys {
            markClosed(id)
            closeSocket(id, reason: nil, now: now)
        }
        actions.removeAll()
        commit.syncWorker?.stop()
        passwordVerifier?.stop()
        if let syncWorker = commit.syncWorker { epoll?.update(Epoll.delete, syncWorker.wakeFD, mask: 0, token: 0) }
        commit.syncWorker = nil
        applyDurableChanges() // the sessions' state after their connections closed
        do {
            try store.close(now: now)
        } catch {
            logger.error("Persistence: could not write the final snapshot: \(error)")
        }
        // Cancelling releases the handlers, and with them the sources' hold on the server.
        sources.read?.cancel()
        sources.timer?.cancel()
        for source in sources.signals { source.cancel() }
        sources.read = nil
        sources.timer = nil
        sources.signals = []
        epoll = nil
        logger.notice("Perch stopped")
        completion()
    }

    func logStart(_ recovered: RecoveredState, milliseconds: Int64) {
        logger.notice("Perch starting")
        for warning in recovered.warnings { logger.warning("Persistence: \(warning)") }
        if let location = store.location {
            logger.notice("Persistence: data directory \(location): recovered \(recovered.retained.count) retained messages and \(recovered.sessions.count) persistent sessions from \(recovered.recordsRead) records in \(milliseconds) ms")
        } else {
            logger.notice("Persistence: off")
        }
        for index in 0..<listeners.count {
            logger.notice("Opening listen socket on \(listeners[index].name)\(listeners[index].configuration.layersDescription)")
        }
        logger.notice("Connection ceiling: \(connectionLimit) (file descriptors and max_connections)")
    }
}
