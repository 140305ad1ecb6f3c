import Logging
import PerchBroker
import PerchCodec
import PerchStore

/// The durability point of a batch: the store's group commit, between applying the
/// actions and flushing the output (DESIGN.md, "Durability").
extension Server {
    /// Commits the store. When the commit fails (a full disk, an I/O error) with changes
    /// pending, the connections that were sent an acknowledgement this round are closed
    /// with their output unflushed: the acknowledgement is refused by disconnect, the
    /// client resends after reconnecting, and the store retries its pending changes at the
    /// next commit. Everything else keeps being served.
    func commitStore(now: Timestamp) {
        defer { durableAcks.removeAll(keepingCapacity: true) }
        applyDurableChanges()
        let pending = store.hasPendingChanges
        do {
            try store.commit(now: now)
            if storeFailing {
                storeFailing = false
                logger.notice("Persistence: writing works again, durable operations accepted")
            }
        } catch {
            if !storeFailing { logger.error("Persistence: \(error); refusing durable operations until it writes again") }
            storeFailing = true
            guard pending else { return }
            for id in durableAcks where connections[id] != nil {
                closeSocket(id, reason: "disconnected: its acknowledgement could not be made durable", now: now)
            }
        }
    }
}

extension Server {
    /// Hands the store the images of the persistent sessions the batch changed.
    func applyDurableChanges() {
        var changes: [BrokerAction] = []
        broker.takeDurableChanges(into: &changes)
        for case .persist(let change) in changes { store.apply(change) }
    }
}

extension Packet {
    /// Acknowledgements that may promise durable state (DESIGN.md, "Durability").
    var promisesDurability: Bool {
        switch self {
        case .puback, .pubrec, .suback, .connack, .pubcomp: return true
        case .connect, .publish, .pubrel, .subscribe, .unsubscribe, .unsuback, .pingreq, .pingresp, .disconnect, .auth:
            return false
        }
    }
}
