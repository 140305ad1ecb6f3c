import Dispatch
import PerchBroker

/// The Dispatch sources that drive the loop: readiness of the epoll set, the one timer
/// (armed at the earliest deadline after every batch) and the signals.
struct LoopSources {
    var read: (any DispatchSourceRead)?
    var timer: (any DispatchSourceTimer)?
    var signals: [any DispatchSourceSignal] = []
    /// The deadline `timer` is armed for (nil: disarmed).
    var armedDeadline: Timestamp?
}

/// Back-pressure bookkeeping (the policy is in `Server+Congestion`).
struct Backpressure {
    /// Connections whose pending output holds the others' input back.
    var congested: [ConnectionID] = []
    /// Connections whose input is withdrawn until no connection is congested.
    var paused: [ConnectionID] = []
    /// How often a connection became congested since start (for tests and diagnostics).
    var episodes = 0
    /// Paused connections with packets left in their framer, to decode once resumed.
    var resumed: [ConnectionID] = []
    /// Connections the broker reported backlogged this batch (`Broker.takeBacklogged`).
    var backlogged: [ConnectionID] = []
    /// Connections whose drain the broker asked to hear of this batch (`Broker.takeDrainRequests`),
    /// and those whose output has drained since, to report with `.outputDrained`.
    var drainRequests: [ConnectionID] = []
    var drained: [ConnectionID] = []
    /// Whether a batch for the drained connections a batch left over is queued.
    var feedScheduled = false
    /// Queue overflows already logged, and when the last line was written (at most one a
    /// second: a slow subscriber can overflow at the publishers' rate).
    var reportedOverflows = 0
    var lastOverflowReport: Timestamp?
}

/// The store's group commit as the loop tracks it (the policy is in `Server+Commit`).
struct CommitState {
    /// Connections sent a packet that awaits the commit in the current round
    /// (`Packet.awaitsCommit`): flushed only after it, closed unflushed when it fails.
    var durableAcks: [ConnectionID] = []
    /// Ranges of `actions` produced by events that changed no durable state: their
    /// packets wait for no commit (ascending; emptied with the actions).
    var independent: [Range<Int>] = []
    /// The last commit failed (a full disk): durable operations are refused until one succeeds.
    var storeFailing = false
    /// Runs the store's fsync off the loop (when the store keeps data).
    var syncWorker: SyncWorker?
    /// The connections closed if the fsync in flight fails: those sent a packet awaiting
    /// the commit of changes it writes.
    var heldForSync: [ConnectionID] = []
}
