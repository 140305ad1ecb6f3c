import PerchCodec

/// The durable state of one persistent session, as the store keeps it: identity, expiry,
/// subscriptions with all their options, outbound messages in flight (with their stage)
/// and queued, inbound QoS 2 ids awaiting PUBREL, and a Will waiting out its delay.
///
/// It wraps a copy of the broker's `Session` value (copy-on-write: emitting one costs a few
/// reference counts, not a copy of its queue); the store reads it through the `package`
/// accessors when it serialises, once per batch. `init(clientID:...)` builds one from
/// decoded records for `Broker.restore(sessions:)`.
public struct DurableSession: Sendable {
    let session: Session

    init(_ session: Session) { self.session = session }

    package var clientID: String { session.clientID }
    package var version: ProtocolVersion { session.version }
    /// Seconds the session outlives its connection (never 0 here).
    package var expiryInterval: UInt32 { session.expiryInterval }
    /// When a disconnected session expires (nil: connected, or never).
    package var expiresAt: Timestamp? { session.expiresAt }
    package var delayedWill: Will? { session.delayedWill }
    package var willDueAt: Timestamp? { session.willDueAt }
    /// Inbound QoS 2 packet ids PUBREC'd and awaiting PUBREL, ascending.
    package var inboundQoS2: [UInt16] { session.inboundQoS2.sorted() }

    /// Subscriptions ordered by filter (the key as sent, `$share/...` included).
    package var subscriptions: [DurableSubscription] {
        session.subscriptions.sorted { $0.key < $1.key }.map { key, options in
            DurableSubscription(filter: key, qos: options.qos, noLocal: options.noLocal,
                                retainAsPublished: options.retainAsPublished,
                                retainHandling: options.retainHandling, identifier: options.identifier,
                                shareName: options.shareName)
        }
    }

    /// In-flight messages in the order they were first sent, then the queued ones.
    package var deliveries: [DurableDelivery] {
        var result = session.inflight.ordered.map { id, entry in
            DurableDelivery(entry.delivery, packetID: id.rawValue, stage: DurableDelivery.Stage(entry.stage))
        }
        result += session.queue.contents.map { DurableDelivery($0, packetID: 0, stage: .queued) }
        return result
    }

    package init(clientID: String, version: ProtocolVersion, expiryInterval: UInt32, expiresAt: Timestamp?,
                 subscriptions: [DurableSubscription], deliveries: [DurableDelivery], inboundQoS2: [UInt16],
                 delayedWill: Will?, willDueAt: Timestamp?) {
        var s = Session(clientID: clientID, generation: 0, version: version)
        s.expiryInterval = expiryInterval
        s.expiresAt = expiresAt
        s.delayedWill = delayedWill
        s.willDueAt = delayedWill == nil ? nil : willDueAt
        s.inboundQoS2 = Set(inboundQoS2)
        for sub in subscriptions {
            s.subscriptions[sub.filter] = SubscriptionOptions(
                qos: sub.qos, noLocal: sub.noLocal, retainAsPublished: sub.retainAsPublished,
                retainHandling: sub.retainHandling, identifier: sub.identifier, shareName: sub.shareName)
        }
        for d in deliveries {
            let delivery = Delivery(message: d.message, qos: d.qos, retain: d.retain,
                                    subscriptionIdentifiers: d.subscriptionIdentifiers,
                                    share: d.share.map { ShareOrigin(filter: $0.filter, group: $0.group) })
            switch d.stage {
            case .queued: s.queue.append(delivery)
            case .awaitingPubAck, .awaitingPubRec, .awaitingPubComp:
                guard let id = PacketID(d.packetID), s.inflight.stage(of: id) == nil else { continue }
                s.inflight.insert(delivery, id: id)
                if d.stage == .awaitingPubComp { s.inflight.setStage(.awaitingPubComp, of: id) }
            }
        }
        self.session = s
    }
}

/// One subscription of a `DurableSession`.
package struct DurableSubscription: Sendable, Hashable {
    package var filter: String
    package var qos: QoS
    package var noLocal: Bool
    package var retainAsPublished: Bool
    package var retainHandling: RetainHandling
    package var identifier: UInt32?
    package var shareName: String?

    package init(filter: String, qos: QoS, noLocal: Bool, retainAsPublished: Bool, retainHandling: RetainHandling,
                 identifier: UInt32?, shareName: String?) {
        self.filter = filter
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
        self.identifier = identifier
        self.shareName = shareName
    }
}

/// One outbound message of a `DurableSession`: in flight under `packetID` at `stage`, or queued.
package struct DurableDelivery: Sendable {
    package enum Stage: UInt8, Sendable {
        case queued = 0
        case awaitingPubAck = 1
        case awaitingPubRec = 2
        case awaitingPubComp = 3

        init(_ stage: InflightWindow.Stage) {
            switch stage {
            case .awaitingPubAck: self = .awaitingPubAck
            case .awaitingPubRec: self = .awaitingPubRec
            case .awaitingPubComp: self = .awaitingPubComp
            }
        }
    }

    package var message: Message
    package var qos: QoS
    package var retain: Bool
    package var subscriptionIdentifiers: [UInt32]
    /// 0 when queued.
    package var packetID: UInt16
    package var stage: Stage
    /// For a delivery through a shared subscription: its filter and share group, so that
    /// after a restart the member can still hand it to the rest of the group.
    package var share: (filter: String, group: String)?

    init(_ delivery: Delivery, packetID: UInt16, stage: Stage) {
        self.init(message: delivery.message, qos: delivery.qos, retain: delivery.retain,
                  subscriptionIdentifiers: delivery.subscriptionIdentifiers, packetID: packetID, stage: stage,
                  share: delivery.share.map { ($0.filter, $0.group) })
    }

    package init(message: Message, qos: QoS, retain: Bool, subscriptionIdentifiers: [UInt32], packetID: UInt16,
                 stage: Stage, share: (filter: String, group: String)? = nil) {
        self.message = message
        self.qos = qos
        self.retain = retain
        self.subscriptionIdentifiers = subscriptionIdentifiers
        self.packetID = packetID
        self.stage = stage
        self.share = share
    }
}

extension Broker {
    /// Notes that a session's durable state changed; only persistent sessions are kept.
    @inline(__always)
    func noteDurable(_ handle: Int) {
        guard sessions[handle].expiryInterval > 0 else { return }
        durableChangeCountStorage &+= 1
        durableDirty.insert(ExactString(sessions[handle].clientID))
    }

    /// Appends one `.persist` per persistent session changed since the last call: its
    /// image, or its end. The transport calls it once per batch, before the store commits:
    /// a session touched by many events of the batch is imaged once, and the image (a
    /// copy-on-write copy) is not held while the next events mutate the session.
    public func takeDurableChanges(into actions: inout [BrokerAction]) {
        guard !durableDirty.isEmpty else { return }
        for key in durableDirty {
            let clientID = key.string
            if let handle = sessions.handle(of: clientID), sessions[handle].expiryInterval > 0 {
                actions.append(.persist(.session(DurableSession(sessions[handle]))))
            } else {
                actions.append(.persist(.sessionEnded(clientID)))
            }
        }
        durableDirty.removeAll(keepingCapacity: true)
    }
}
