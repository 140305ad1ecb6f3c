import PerchBroker

/// Where the broker's durable state lives.
///
/// The transport drives a store through one life cycle:
///
///     open(now:)  -> the retained messages and persistent sessions to restore
///     apply(_:)   -> every `.persist(StoreChange)` of a batch, in order
///     commit(now:) once per batch, BEFORE the batch's output is flushed: this is the
///                  durability point of the ack path (DESIGN.md, "Durability"). When it
///                  throws, nothing the batch promised may be released.
///     close(now:) -> a final, complete write
///
/// A store is owned by the server's serial queue; it is a class because it stands for one
/// place on disk (identity), and it needs no locks.
public protocol BrokerStore: AnyObject {
    /// Prepares the store and returns the state it holds. Throws when the durable state
    /// cannot be read (the broker must not start and silently lose data).
    func open(now: Timestamp) throws(StoreError) -> RecoveredState
    /// Records one change the broker emitted.
    func apply(_ change: StoreChange)
    /// Whether changes were applied that the next `commit` must make durable.
    var hasPendingChanges: Bool { get }
    /// Makes the changes applied so far durable as the store's policy says.
    func commit(now: Timestamp) throws(StoreError)
    /// `commit` in three steps, for a transport that overlaps the fsync with its next
    /// batch: `writeCommit` writes what is pending and returns true when an fsync must
    /// follow before the batch's acknowledgements are released; `syncCommit` is that fsync
    /// (called on another thread, while the loop does not touch the store);
    /// `finishCommit` records it on the loop. After a failed `syncCommit` the next
    /// `writeCommit` asks for the fsync again.
    func writeCommit(now: Timestamp) throws(StoreError) -> Bool
    func syncCommit() throws(StoreError)
    func finishCommit(now: Timestamp)
    /// Writes everything that is still pending; the store is not used afterwards.
    func close(now: Timestamp) throws(StoreError)
    /// Where the store keeps its data, for the startup log (nil when it keeps none).
    var location: String? { get }
    /// Problems that did not fail a commit (a compaction that could not write), for the
    /// log; each is returned once.
    func takeWarnings() -> [String]
}

extension BrokerStore {
    public func takeWarnings() -> [String] { [] }

    /// A store without a split commit commits at once and needs no fsync afterwards.
    public func writeCommit(now: Timestamp) throws(StoreError) -> Bool {
        try commit(now: now)
        return false
    }

    public func syncCommit() throws(StoreError) {}
    public func finishCommit(now: Timestamp) {}
}

/// What `BrokerStore.open` recovered, and what to log about it.
public struct RecoveredState: Sendable {
    public var retained: [Message]
    public var sessions: [DurableSession]
    /// Damage that was repaired or skipped (torn tails, records skipped by `--recover`).
    public var warnings: [String]
    /// Snapshot and log records read.
    public var recordsRead: Int

    public init(retained: [Message] = [], sessions: [DurableSession] = [], warnings: [String] = [],
                recordsRead: Int = 0) {
        self.retained = retained
        self.sessions = sessions
        self.warnings = warnings
        self.recordsRead = recordsRead
    }
}

/// `persistence false`: keeps nothing, loads nothing.
public final class NullStore: BrokerStore {
    public init() {}
    public func open(now: Timestamp) throws(StoreError) -> RecoveredState { RecoveredState() }
    public func apply(_ change: StoreChange) {}
    public var hasPendingChanges: Bool { false }
    public func commit(now: Timestamp) throws(StoreError) {}
    public func close(now: Timestamp) throws(StoreError) {}
    public var location: String? { nil }
}
