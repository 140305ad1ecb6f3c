import PerchCodec

/// One application message as the broker holds it: built once per inbound PUBLISH (or Will)
/// and shared, immutable, by every delivery, queue entry and the retained index.
public final class Message: Sendable {
    public let topic: TopicName
    public let payload: [UInt8]
    /// The QoS the publisher sent it with (deliveries use min(this, granted)).
    public let qos: QoS
    /// The RETAIN flag the publisher set (for Retain As Published).
    public let retain: Bool
    /// The PUBLISH properties to forward (topic alias and subscription ids stripped).
    public let properties: Properties
    /// When set: the message expires at this instant (v5 Message Expiry Interval).
    public let expiry: Timestamp?
    /// The session that published it (for No Local), if any.
    public let origin: String?

    public init(topic: TopicName, payload: [UInt8], qos: QoS, retain: Bool,
                properties: Properties = Properties(), expiry: Timestamp? = nil, origin: String? = nil) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
        self.expiry = expiry
        self.origin = origin
    }
}
