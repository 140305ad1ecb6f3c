import PerchCodec

/// One session's matches of the message being routed (`Broker.route`). Plain values
/// only: the message is the same for every match and is not held here, so collecting
/// matches costs no reference counting.
struct RouteMatch {
    /// What one matching subscription grants: the delivered QoS, the RETAIN flag and its
    /// Subscription Identifier (0: none; 0 is not a valid identifier).
    struct Grant {
        var handle: Int32
        var qos: QoS
        var retain: Bool
        var identifier: UInt32

        func delivery(of message: Message) -> Delivery {
            Delivery(message: message, qos: qos, retain: retain,
                     subscriptionIdentifiers: identifier == 0 ? [] : [identifier])
        }
    }

    /// The first matching subscription's own grant.
    var first: Grant
    /// Over every match: the highest QoS, RETAIN if any grants it, how many carry an
    /// identifier and the last of those.
    var merged: Grant
    var identifiers: Int32

    init(_ grant: Grant) {
        first = grant
        merged = grant
        identifiers = grant.identifier == 0 ? 0 : 1
    }

    mutating func merge(_ grant: Grant) {
        merged.qos = max(merged.qos, grant.qos)
        merged.retain = merged.retain || grant.retain
        if grant.identifier != 0 {
            identifiers += 1
            merged.identifier = grant.identifier
        }
    }
}
