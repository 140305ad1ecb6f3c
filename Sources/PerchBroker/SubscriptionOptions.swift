import PerchCodec

/// What the broker remembers of one subscription of one session: the options of the
/// SUBSCRIBE entry after granting, and its v5 Subscription Identifier. Kept both in the
/// session (for UNSUBSCRIBE, Retain Handling 1 and later store snapshots) and in the
/// `TopicTree` node of its filter (so a publish needs no session lookup to decide QoS).
struct SubscriptionOptions: Sendable, Hashable {
    /// The granted QoS: min(requested, `BrokerConfiguration.maximumQoS`).
    var qos: QoS
    var noLocal: Bool
    var retainAsPublished: Bool
    var retainHandling: RetainHandling
    /// v5 Subscription Identifier of the SUBSCRIBE that made it, if any.
    var identifier: UInt32?
}

/// One message on its way to one session: the shared `Message` plus what differs per
/// subscriber (delivered QoS, RETAIN flag, matching subscription identifiers).
struct Delivery: Sendable {
    let message: Message
    var qos: QoS
    var retain: Bool
    var subscriptionIdentifiers: [UInt32]
}
