import PerchCodec

/// STUB — replaced by the broker work. The pure MQTT state machine.
public final class Broker {
    public init(configuration: BrokerConfiguration, retained: [Message] = []) {}
    public func handle(_ event: BrokerEvent, now: Timestamp, into actions: inout [BrokerAction]) {}
    public var nextDeadline: Timestamp? { nil }
    public var retainedMessages: [Message] { [] }
}
