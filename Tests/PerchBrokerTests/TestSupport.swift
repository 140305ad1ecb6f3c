import PerchBroker
import PerchCodec
import PerchTestKit

/// Small constructors for tests (the codec's validating initialisers are not used here).
func topic(_ string: String) -> TopicName { TopicName(unchecked: string) }
func filter(_ string: String) -> TopicFilter { TopicFilter(unchecked: string, shareName: nil, filter: string) }
func pid(_ value: UInt16) -> PacketID { PacketID(value)! }
func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

func connack(_ packets: [Packet]) -> ConnAck? {
    for packet in packets { if case .connack(let ack) = packet { return ack } }
    return nil
}

func suback(_ packets: [Packet]) -> SubAck? {
    for packet in packets { if case .suback(let ack) = packet { return ack } }
    return nil
}

func disconnectReason(_ packets: [Packet]) -> ReasonCode? {
    for packet in packets { if case .disconnect(let d) = packet { return d.reason } }
    return nil
}

func publishes(_ packets: [Packet]) -> [Publish] {
    packets.compactMap { if case .publish(let p) = $0 { return p } else { return nil } }
}

func accepted(_ sessionPresent: Bool = false) -> Packet {
    .connack(ConnAck(sessionPresent: sessionPresent, reason: .success))
}

func v5(_ build: (inout Properties) -> Void) -> Properties {
    var properties = Properties()
    build(&properties)
    return properties
}

func will(_ topicName: String, _ payload: String = "gone", qos: QoS = .atMostOnce, retain: Bool = false,
          delay: UInt32? = nil) -> Will {
    var properties = Properties()
    properties.willDelayInterval = delay
    return Will(topic: topic(topicName), payload: bytes(payload), qos: qos, retain: retain, properties: properties)
}

func subscribePacket(_ filters: [String], qos: QoS = .atLeastOnce, id: UInt16 = 1) -> Packet {
    .subscribe(Subscribe(packetID: pid(id), entries: filters.map { .valid(Subscription(filter: filter($0), qos: qos)) }))
}
