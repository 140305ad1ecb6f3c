import Logging
import PerchBroker
import PerchCodec
import PerchStore

/// The durability point of a batch: the store's group commit, between applying the
/// actions and flushing the output (DESIGN.md, "Durability").
extension Server {
    /// Commits the store; connections whose output waits for nothing are flushed first.
    /// When the commit fails (a full disk, an I/O error) with changes pending, the
    /// connections that were sent a packet awaiting the commit this round are closed
    /// with their output unflushed: the acknowledgement is refused by disconnect, the
    /// client resends after reconnecting, and the store retries its pending changes at the
    /// next commit. Everything else keeps being served.
    ///
    /// The fsync itself runs on the sync worker when there is one: the connections waiting
    /// for it stay touched and unflushed until `completeSync`.
    func commitStore(now: Timestamp) {
        defer { commit.durableAcks.removeAll(keepingCapacity: true) }
        applyDurableChanges()
        let pending = store.hasPendingChanges
        if pending { flushUncommitted(now: now) }
        defer {
            // While the worker's fsync runs the store is not touched; `completeSync` logs them.
            if commit.syncWorker?.isRunning != true {
                for warning in store.takeWarnings() { logger.warning("Persistence: \(warning)") }
            }
        }
        do {
            if try store.writeCommit(now: now) {
                if let syncWorker = commit.syncWorker {
                    // Closed if the fsync fails: only acknowledgements of this round's changes
                    // (as when the commit runs here); the others just wait for it.
                    commit.heldForSync = pending ? commit.durableAcks : []
                    let store = self.store
                    syncWorker.start {
                        do throws(StoreError) { try store.syncCommit() } catch { return error }
                        return nil
                    }
                    return
                }
                try store.syncCommit()
                store.finishCommit(now: now)
            }
            commitSucceeded()
        } catch {
            commitFailed(error, closing: pending ? commit.durableAcks : [], now: now)
        }
    }

    /// Waits for the fsync in flight, if any; returns whether one was waited for. When it
    /// failed, the connections it held are closed with their output unflushed.
    func completeSync(now: Timestamp) -> Bool {
        guard let syncWorker = commit.syncWorker, let outcome = syncWorker.finish() else { return false }
        let held = commit.heldForSync
        commit.heldForSync.removeAll()
        if let error = outcome {
            commitFailed(error, closing: held, now: now)
        } else {
            store.finishCommit(now: now)
            commitSucceeded()
        }
        for warning in store.takeWarnings() { logger.warning("Persistence: \(warning)") }
        return true
    }

    func commitSucceeded() {
        guard commit.storeFailing else { return }
        commit.storeFailing = false
        logger.notice("Persistence: writing works again, durable operations accepted")
    }

    func commitFailed(_ error: StoreError, closing held: [ConnectionID], now: Timestamp) {
        if !commit.storeFailing { logger.error("Persistence: \(error); refusing durable operations until it writes again") }
        commit.storeFailing = true
        for id in held where connections[id] != nil {
            closeSocket(id, reason: "disconnected: its acknowledgement could not be made durable", now: now)
        }
    }
}

extension Server {
    /// Before a commit that writes: flushes the touched connections whose output of this
    /// round waits for nothing (QoS 0 to clean sessions, PINGRESP...), so they never wait
    /// for the disk; the others stay touched and are flushed after the commit.
    func flushUncommitted(now: Timestamp) {
        guard !touched.isEmpty else { return }
        let held = Set(commit.durableAcks)
        let round = touched
        touched.removeAll(keepingCapacity: true)
        var kept: [ConnectionID] = []
        for id in round {
            guard let index = connections.index(forKey: id) else { continue }
            if held.contains(id) {
                kept.append(id)
                continue
            }
            connections[position: index].touched = false
            flush(id, at: index, now: now)
        }
        touched = kept + touched
    }

    /// Hands the store the images of the persistent sessions the batch changed.
    func applyDurableChanges() {
        var changes: [BrokerAction] = []
        broker.takeDurableChanges(into: &changes)
        for case .persist(let change) in changes { store.apply(change) }
    }
}
