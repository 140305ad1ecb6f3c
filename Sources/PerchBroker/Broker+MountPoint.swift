import PerchCodec

/// `mount_point`: a listener's clients see the topic space below a prefix as if it were the
/// whole space. Inbound topics and filters get the prefix (a shared filter keeps its
/// `$share/{group}/` in front), outbound topics lose it. Applied in one place each way:
/// the packet as it arrives, the PUBLISH as it leaves.
extension Broker {
    /// The packet with the connection's mount point applied (unchanged without one).
    func mounted(_ packet: Packet, on id: ConnectionID) -> Packet {
        guard !contexts.isEmpty, let prefix = contexts[id]?.policy.mountPoint else { return packet }
        switch packet {
        case .connect(var connect):
            if let will = connect.will { connect.will?.topic = TopicName(unchecked: prefix + will.topic.string) }
            return .connect(connect)
        case .publish(var publish):
            if !publish.topic.isEmpty { publish.topic = prefix + publish.topic } // an alias-only topic stays empty
            return .publish(publish)
        case .subscribe(var subscribe):
            for index in subscribe.entries.indices {
                guard case .valid(var subscription) = subscribe.entries[index] else { continue }
                subscription.filter = Self.mount(subscription.filter, prefix: prefix)
                subscribe.entries[index] = .valid(subscription)
            }
            return .subscribe(subscribe)
        case .unsubscribe(var unsubscribe):
            unsubscribe.filters = unsubscribe.filters.map { Self.mount(filterString: $0, prefix: prefix) }
            return .unsubscribe(unsubscribe)
        case .connack, .puback, .pubrec, .pubrel, .pubcomp, .suback, .unsuback, .pingreq, .pingresp,
             .disconnect, .auth:
            return packet
        }
    }

    /// The topic a message goes out with to connection `id`: without its mount point.
    func unmounted(_ topic: String, for id: ConnectionID) -> String {
        guard !contexts.isEmpty, let prefix = contexts[id]?.policy.mountPoint,
              topic.utf8.starts(with: prefix.utf8) else { return topic }
        return String(decoding: topic.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
    }

    static func mount(_ filter: TopicFilter, prefix: String) -> TopicFilter {
        let inner = prefix + filter.filter
        guard let share = filter.shareName else { return TopicFilter(unchecked: inner, shareName: nil, filter: inner) }
        return TopicFilter(unchecked: "$share/\(share)/\(inner)", shareName: share, filter: inner)
    }

    /// UNSUBSCRIBE carries filters as sent; they are matched against the mounted ones.
    static func mount(filterString: String, prefix: String) -> String {
        let shared = "$share/"
        guard filterString.utf8.starts(with: shared.utf8) else { return prefix + filterString }
        let rest = filterString.utf8.dropFirst(shared.utf8.count)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return prefix + filterString }
        let group = String(decoding: rest[..<slash], as: UTF8.self)
        let filter = String(decoding: rest[rest.index(after: slash)...], as: UTF8.self)
        return "$share/\(group)/\(prefix)\(filter)"
    }
}
