import PerchCodec

/// What the broker remembers of one subscription of one session: the options of the
/// SUBSCRIBE entry after granting, and its v5 Subscription Identifier. Kept both in the
/// session (for UNSUBSCRIBE, Retain Handling 1 and later store snapshots) and in the
/// `TopicTree` node of its filter (so a publish needs no session lookup to decide QoS).
///
/// 24 bytes (it sits in every trie node and session subscription): the share name first,
/// then the identifier as a plain integer (0 = none: a Subscription Identifier of 0 is a
/// protocol error the decoder rejects, v5 §3.8.2.1.2) and the one-byte options.
struct SubscriptionOptions: Sendable, Hashable {
    /// The share name of a `$share/{name}/{filter}` subscription.
    var shareName: String?
    /// v5 Subscription Identifier of the SUBSCRIBE that made it, if any.
    var identifier: UInt32? {
        get { identifierRaw == 0 ? nil : identifierRaw }
        set { identifierRaw = newValue ?? 0 }
    }
    private var identifierRaw: UInt32
    /// The granted QoS: min(requested, `BrokerConfiguration.maximumQoS`).
    var qos: QoS
    var noLocal: Bool
    var retainAsPublished: Bool
    var retainHandling: RetainHandling

    init(qos: QoS, noLocal: Bool, retainAsPublished: Bool, retainHandling: RetainHandling, identifier: UInt32?,
         shareName: String? = nil) {
        self.shareName = shareName
        self.identifierRaw = identifier ?? 0
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
    }
}

/// The part of a subscription key (the filter as sent) that is matched: everything after
/// `$share/{name}/` for a shared subscription, the key itself otherwise.
func matchedFilter(_ key: String, shareName: String?) -> String {
    guard let shareName else { return key }
    return String(key.utf8.dropFirst(7 + shareName.utf8.count + 1))!
}

/// One message on its way to one session: the shared `Message` plus what differs per
/// subscriber (delivered QoS, RETAIN flag, matching subscription identifiers).
struct Delivery: Sendable {
    let message: Message
    var qos: QoS
    var retain: Bool
    var subscriptionIdentifiers: [UInt32]
    /// The share group it was handed to, for a delivery through a shared subscription: if
    /// its member leaves before taking it, the rest of the group gets it instead.
    var share: ShareOrigin? = nil
}

/// The share group (`$share/{group}/{filter}`) a delivery came through; one per shared
/// message, referenced by the delivery (a pointer, not two strings, in every queue entry).
final class ShareOrigin: Sendable {
    let filter: String
    let group: String
    init(filter: String, group: String) {
        self.filter = filter
        self.group = group
    }
}
