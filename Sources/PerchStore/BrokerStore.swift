import PerchBroker

/// Where the broker's durable state lives.
///
/// The transport drives a store through one life cycle:
///
///     open(now:)  -> the retained messages to seed `Broker(configuration:retained:)`
///     apply(_:)   -> every `.persist(StoreChange)` of a batch, in order
///     commit(now:) once per batch, BEFORE the batch's output is flushed: this is the
///                  durability point of the ack path (DESIGN.md, "Durability")
///     close(now:) -> a final, complete write
///
/// A store is owned by the server's serial queue; it is a class because it stands for one
/// place on disk (identity), and it needs no locks.
public protocol BrokerStore: AnyObject {
    /// Prepares the store and returns the retained messages it holds. Throws when the
    /// durable state cannot be read (the broker must not start on a corrupt file).
    func open(now: Timestamp) throws(StoreError) -> [Message]
    /// Records one change the broker emitted.
    func apply(_ change: StoreChange)
    /// Makes the changes applied so far durable as the store's policy says.
    func commit(now: Timestamp) throws(StoreError)
    /// Writes everything that is still pending; the store is not used afterwards.
    func close(now: Timestamp) throws(StoreError)
    /// Where the store keeps its data, for the startup log (nil when it keeps none).
    var location: String? { get }
}

/// `persistence false`: keeps nothing, loads nothing.
public final class NullStore: BrokerStore {
    public init() {}
    public func open(now: Timestamp) throws(StoreError) -> [Message] { [] }
    public func apply(_ change: StoreChange) {}
    public func commit(now: Timestamp) throws(StoreError) {}
    public func close(now: Timestamp) throws(StoreError) {}
    public var location: String? { nil }
}
