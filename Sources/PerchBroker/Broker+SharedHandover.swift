import PerchCodec

/// A share group member that goes away hands what it has not taken to the rest of the
/// group (v5 §4.8.2):
///
///     disconnects (session kept)  queued + QoS 1 in flight ─▶ other members
///     session ends                queued + QoS 1 in flight ─▶ other members; QoS 2 in flight dropped [v5 MQTT-4.8.2-5]
///     unsubscribes from the group queued (of that group)   ─▶ other members; in flight completes [MQTT-3.10.4-3]
///
/// A QoS 2 delivery already sent stays with its member and completes when it reconnects
/// [v5 MQTT-4.8.2-4]. A message re-dispatched goes to another member by the usual ranking
/// (connected with room first); with no other member left it stays where it was.
extension Broker {
    /// Takes the session's shared deliveries that `leaves` selects out of its queue (and,
    /// with `inflight`, its QoS 1 deliveries awaiting PUBACK).
    func takeShared(from handle: Int, inflight: Bool, where leaves: (ShareOrigin) -> Bool = { _ in true }) -> [Delivery] {
        let selected: (Delivery) -> Bool = { $0.share.map(leaves) ?? false }
        var taken = inflight ? sessions[handle].inflight.extractAwaitingPubAck(where: selected) : []
        taken += sessions[handle].queue.extract(where: selected)
        if !taken.isEmpty { noteDurable(handle) }
        return taken
    }

    /// Gives each delivery to another member of its group; with none, back to `handle`
    /// (when it still exists) so nothing is lost.
    func redispatchShared(_ deliveries: [Delivery], from handle: Int, backToSender: Bool) {
        for delivery in deliveries {
            guard let origin = delivery.share else { continue }
            if let match = tree.sharedMatch(filter: origin.filter, group: origin.group),
               tree.hasMember(match, otherThan: Int32(handle)) {
                deliverShared(delivery.message, to: match, excluding: handle)
            } else if backToSender {
                deliver(delivery, to: handle)
            } else {
                statisticsStorage.droppedMessages += 1
            }
        }
    }
}
