import PerchBroker
import PerchCodec
@testable import PerchStore

let storeDirectory = "/data"
let t0 = Timestamp.seconds(1000)

func retainedMessage(_ topic: String, _ payload: String, qos: QoS = .atLeastOnce,
                     properties: Properties = Properties(), expiry: Timestamp? = nil) -> Message {
    Message(topic: TopicName(unchecked: topic), payload: Array(payload.utf8), qos: qos, retain: true,
            properties: properties, expiry: expiry)
}

func richProperties() -> Properties {
    var p = Properties()
    p.payloadFormatIndicator = 1
    p.contentType = "text/plain"
    p.responseTopic = "reply/here"
    p.correlationData = [1, 2, 3]
    p.userProperties = [UserProperty("a", "1"), UserProperty("a", "2"), UserProperty("ü", "é")]
    return p
}

/// A session image with one of everything (`shared`: including a delivery through a share group).
func sampleSession(_ clientID: String, expiresAt: Timestamp? = nil, shared: Bool = true) -> DurableSession {
    let message = Message(topic: TopicName(unchecked: "s/1"), payload: [9, 8], qos: .exactlyOnce, retain: false,
                          properties: richProperties(), expiry: t0.adding(seconds: 30), origin: "pub")
    var willProperties = Properties()
    willProperties.willDelayInterval = 20
    willProperties.messageExpiryInterval = 7
    let will = Will(topic: TopicName(unchecked: "will/\(clientID)"), payload: [1], qos: .atLeastOnce, retain: true,
                    properties: willProperties)
    return DurableSession(
        clientID: clientID, version: .v5, expiryInterval: 3600, expiresAt: expiresAt,
        subscriptions: [
            DurableSubscription(filter: "a/+", qos: .exactlyOnce, noLocal: true, retainAsPublished: true,
                                retainHandling: .doNotSend, identifier: 42, shareName: nil),
            DurableSubscription(filter: "$share/g/b", qos: .atLeastOnce, noLocal: false, retainAsPublished: false,
                                retainHandling: .sendOnSubscribe, identifier: nil, shareName: "g"),
        ],
        deliveries: [
            DurableDelivery(message: message, qos: .exactlyOnce, retain: false, subscriptionIdentifiers: [42],
                            packetID: 7, stage: .awaitingPubComp),
            DurableDelivery(message: message, qos: .atLeastOnce, retain: true, subscriptionIdentifiers: [],
                            packetID: 0, stage: .queued),
        ] + (shared ? [DurableDelivery(message: message, qos: .atLeastOnce, retain: false, subscriptionIdentifiers: [],
                                       packetID: 9, stage: .awaitingPubAck, share: (filter: "b", group: "g"))] : []),
        inboundQoS2: [3, 5], delayedWill: will, willDueAt: t0.adding(seconds: 20))
}

/// A comparable summary of a session image (its clocks as seen at `now`).
func summary(_ s: DurableSession) -> String {
    let deliveries = s.deliveries.map {
        "\($0.stage):\($0.packetID):\($0.qos):\($0.retain):\($0.subscriptionIdentifiers):\($0.message.topic.string):"
            + "\($0.message.payload):\($0.message.expiry.map(String.init(describing:)) ?? "-"):"
            + "\($0.message.origin ?? "-"):\($0.message.properties == richProperties()):"
            + "\($0.share.map { "\($0.group)/\($0.filter)" } ?? "-")"
    }
    return "\(s.clientID) \(s.version) \(s.expiryInterval) \(String(describing: s.expiresAt)) \(s.subscriptions) "
        + "\(s.inboundQoS2) \(String(describing: s.delayedWill)) \(String(describing: s.willDueAt)) \(deliveries)"
}

func memoryStore(_ fs: MemoryFileSystem, wall: Int64 = 1_000_000, policy: FileStore.SyncPolicy = .always,
                 recover: Bool = false, threshold: Int = 4 << 20) -> FileStore {
    FileStore(directory: storeDirectory, policy: policy, autosaveInterval: 60, recover: recover, fileSystem: fs,
              wallClock: { wall }, compactionThreshold: threshold)
}

extension RecoveredState {
    /// The retained messages ordered by topic (`open` returns them in no order).
    var sortedRetained: [Message] { retained.sorted { $0.topic.string < $1.topic.string } }
}
