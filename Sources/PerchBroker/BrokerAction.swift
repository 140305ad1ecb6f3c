import PerchCodec

/// What the broker asks the transport (and the store) to do, in order.
///
/// The transport applies the actions of one batch, commits the store once, and only then
/// flushes the output: acknowledgements that promise durability never reach a client
/// before the state they promise is committed (DESIGN.md, "Durability").
public enum BrokerAction: Sendable {
    /// Encode `packet` for the connection's version and queue it for the next flush.
    case send(ConnectionID, Packet)
    /// Flush what is queued for the connection, then close it. The broker has finished
    /// with the connection when it emits this (Will published or discarded, session kept
    /// or dropped): the transport must not report `.closed` for it afterwards, and must
    /// drop any further bytes that connection sends (MQTT-3.1.4-5).
    case close(ConnectionID)
    /// A change to durable state for the store.
    case persist(StoreChange)
}

/// A change to durable state: retained messages (emitted by the event that changes them),
/// and the state of persistent sessions (a session with a non-zero expiry) as one image
/// per changed session per batch (`Broker.takeDurableChanges(into:)`).
public enum StoreChange: Sendable {
    /// Set or replace the retained message of `message.topic`.
    case retain(Message)
    /// Remove the retained message of a topic.
    case clearRetained(TopicName)
    /// Set or replace the durable state of a persistent session (`Broker+Persistence`).
    case session(DurableSession)
    /// The session of a client id ended (or stopped being persistent): forget it.
    case sessionEnded(String)
}
