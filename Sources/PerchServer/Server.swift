#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import PerchBroker
import PerchCodec
import PerchStore

/// The MQTT broker on TCP, TLS, WebSockets and Unix sockets: listeners, connections and the broker core, all owned by one
/// serial `DispatchQueue`.
///
///     epoll set ──(one Dispatch read source)──▶ accept / read until EAGAIN (bounded)
///        │                                        │ FrameDecoder → Packet → broker.handle
///        │                                        ▼
///        │                              actions: send → connection output
///        │                                       close → flush, then close
///        │                                       persist → store
///        │                              store write, fsync on the SyncWorker thread
///        │                                (durability point: output it holds waits)
///        └◀── EPOLLOUT while output pends ── one sendmsg per touched connection
///
/// A timer source fires `.tick` at `broker.nextDeadline`. Everything runs on `queue`; no
/// locks in the loop (the sync worker hands over one fsync at a time under a mutex). Call
/// `start()` once, before the server is shared; afterwards talk to it only
/// through `shutdown(completion:)` and `handleSignals(completion:)`.
///
/// The state touched per packet is `@exclusivity(unchecked)`: it is confined to `queue`, and
/// the runtime exclusivity check on each access was a large share of the work per message.
public final class Server: @unchecked Sendable {
    public let configuration: ServerConfiguration
    let logger: Logger
    let queue: DispatchQueue
    let store: any BrokerStore
    @exclusivity(unchecked) var broker: Broker

    var epoll: Epoll?
    /// The Dispatch sources that drive the loop.
    var sources = LoopSources()

    /// Listening sockets with their TLS contexts; epoll tokens count down from `UInt64.max`.
    var listeners = ListenerSet()
    /// The bound ports of the listeners, in configuration order (known after `start()`;
    /// 0 for a Unix socket).
    public private(set) var listeningPorts: [UInt16] = []
    /// MQTT bytes a stream layer (TLS, WebSocket) delivered from one read, before framing.
    @exclusivity(unchecked) var streamInput: [UInt8] = []

    @exclusivity(unchecked) var connections = ConnectionTable()
    /// Connections with output to flush at the end of the batch.
    @exclusivity(unchecked) var touched: [ConnectionID] = []
    /// Closing connections still flushing their last bytes (each has a `closeDeadline`).
    @exclusivity(unchecked) var lingering: [ConnectionID] = []
    /// Who holds the others' input back and whose input waits (Server+Congestion).
    @exclusivity(unchecked) var backpressure = Backpressure()
    /// The broker's actions of the current batch, applied in order.
    @exclusivity(unchecked) var actions: [BrokerAction] = []
    /// Actions that end a batch early: past this many the batch is applied and flushed
    /// before the next packet is handled, so memory per wakeup stays bounded.
    let batchActionLimit = 2048
    /// Bytes read that end a batch early (checked after each read), like `batchActionLimit`.
    let batchByteLimit = 64 * 1024
    /// Bytes read since the batch began.
    @exclusivity(unchecked) var batchBytes = 0
    /// The most actions one batch held before it was applied (for tests and diagnostics).
    @exclusivity(unchecked) var peakBatchActions = 0
    /// One read buffer shared by every connection.
    var readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// Bytes read from one connection per wakeup, so one flooder cannot starve the others.
    let readBudget = 256 * 1024
    /// Lingering after a batch: at most this many extra waits of at most this many
    /// nanoseconds. A millisecond spans the gap between the bursts of publishers at
    /// 1,000 msg/s, so light traffic rarely pays Dispatch's thread hops (scripts/bench (f)).
    let maxLingers = 8
    let lingerNanoseconds = 1_000_000
    /// Connection ceiling from the file-descriptor limit and `max_connections`.
    var connectionLimit = Int.max
    /// QoS 0 PUBLISH packets dropped for slow readers since start.
    public internal(set) var droppedPublishes = 0
    var isShuttingDown = false
    /// The embedder's hooks, handed to the broker when it starts.
    let authenticator: (any Authenticator)?
    let authorizer: (any Authorizer)?
    /// The embedder's password check; nil: the password files.
    let passwordAuthenticator: (any PasswordAuthenticator)?
    /// Checks passwords against the files off the loop (Server+Access).
    var passwordVerifier: PasswordVerifier?
    /// Password checks answered at once, for the broker after this round of actions.
    var immediateAnswers: [(ConnectionID, Bool)] = []
    /// The store's group commit as the loop tracks it (Server+Commit).
    var commit = CommitState()

    /// A server with the store `configuration` asks for: a `FileStore` in
    /// `persistenceLocation` when `persistence` is on, otherwise nothing is kept.
    public convenience init(configuration: ServerConfiguration, logger: Logger,
                            queue: DispatchQueue = DispatchQueue(label: "perch"),
                            authenticator: (any Authenticator)? = nil,
                            authorizer: (any Authorizer)? = nil,
                            passwordAuthenticator: (any PasswordAuthenticator)? = nil) throws(ServerError) {
        let store: any BrokerStore = configuration.persistence
            ? FileStore(directory: configuration.persistenceLocation, policy: configuration.persistenceSync,
                        autosaveInterval: configuration.autosaveInterval, recover: configuration.recover,
                        compactionThreshold: configuration.persistenceCompactionBytes)
            : NullStore()
        try self.init(configuration: configuration, store: store, logger: logger, queue: queue,
                      authenticator: authenticator, authorizer: authorizer, passwordAuthenticator: passwordAuthenticator)
    }

    /// `authenticator` drives MQTT 5 enhanced authentication (AUTH exchanges; without one
    /// a CONNECT naming an Authentication Method gets CONNACK 0x8C), `authorizer` decides
    /// what each client may publish, subscribe to and receive (nil allows everything; the
    /// configuration's ACL files apply as well), `passwordAuthenticator` checks the
    /// password of every CONNECT with a User Name instead of the password files.
    public init(configuration: ServerConfiguration, store: any BrokerStore, logger: Logger,
                queue: DispatchQueue, authenticator: (any Authenticator)? = nil,
                authorizer: (any Authorizer)? = nil,
                passwordAuthenticator: (any PasswordAuthenticator)? = nil) throws(ServerError) {
        guard !configuration.listeners.isEmpty else { throw ServerError("no listener configured") }
        var configuration = configuration
        // A part of a QoS 0 retained burst after a drain starts at or below the drain mark (a
        // quarter of the soft limit) and adds at most this much: it never meets the soft limit's drop.
        configuration.broker.retainedBurstBytes = min(configuration.broker.retainedBurstBytes, configuration.outputSoftLimit / 4)
        self.configuration = configuration
        self.store = store
        self.logger = logger
        self.queue = queue
        self.authenticator = authenticator
        self.authorizer = authorizer
        self.passwordAuthenticator = passwordAuthenticator
        self.broker = Broker(configuration: configuration.broker)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Opens the store, binds every listener and starts serving. Throws (and leaves nothing
    /// open) when the store cannot be read or a listener cannot be bound.
    public func start() throws(ServerError) {
        let now = MonotonicClock.now()
        let recovered: RecoveredState
        do {
            recovered = try store.open(now: now)
        } catch {
            throw ServerError("persistence: \(error)")
        }
        broker = Broker(configuration: configuration.broker, retained: recovered.retained,
                        authenticator: authenticator, authorizer: authorizer)
        broker.restore(sessions: recovered.sessions, now: now)
        try loadAccess(now: now)
        actions.removeAll() // .accessChanged before any client: nothing to apply
        let epoll = try Epoll()
        self.epoll = epoll
        let warnings: [String]
        do throws(ServerError) {
            warnings = try listeners.bind(configuration.listeners, epoll: epoll)
        } catch {
            epoll.close()
            self.epoll = nil
            throw error
        }
        listeningPorts = listeners.ports
        signal(SIGPIPE, SIG_IGN)
        applyConnectionLimit()
        logStart(recovered, milliseconds: MonotonicClock.now().milliseconds - now.milliseconds)
        for warning in warnings { logger.warning("\(warning)") }
        if store.location != nil {
            do throws(ServerError) {
                let worker = try SyncWorker()
                // Without its wake-up in the epoll set an idle loop would hold acks forever.
                guard epoll.update(Epoll.add, worker.wakeFD, mask: Epoll.readable, token: Server.syncToken) else {
                    worker.stop()
                    throw .system("epoll_ctl (fsync wake-up pipe)")
                }
                commit.syncWorker = worker
            } catch {
                logger.warning("Persistence: \(error); fsyncs run on the loop")
            }
        }
        startSources(epoll)
    }

    /// Stops accepting, sends every client DISCONNECT (v5: 0x8B), flushes, closes the
    /// connections and the store, then calls `completion` on the server's queue.
    public func shutdown(completion: @escaping @Sendable () -> Void) {
        queue.async { [self] in performShutdown(completion: completion) }
    }

    func applyConnectionLimit() {
        let files = ResourceLimits.raiseFileLimit()
        // Keep a few descriptors for listeners, the store, epoll and Dispatch.
        let byFiles = max(1, files - listeners.count - 16)
        connectionLimit = configuration.maxConnections >= 0 ? min(configuration.maxConnections, byFiles) : byFiles
    }

    /// The sources hold the server strongly on purpose: a started server keeps itself alive
    /// until `shutdown` cancels them (libdispatch then releases the handlers), so neither the
    /// executable nor an embedder has to keep a reference for it to go on serving. (With weak
    /// references an optimised `perch` lost its server before `dispatchMain()`.)
    /// The epoll token of the sync worker's wake-up pipe (no connection id is 0: the
    /// connection table's generations start at 1).
    static let syncToken: UInt64 = 0

    func startSources(_ epoll: Epoll) {
        let source = DispatchSource.makeReadSource(fileDescriptor: epoll.fd, queue: queue)
        source.setEventHandler { [self] in handleReadiness() }
        source.setCancelHandler { epoll.close() }
        source.resume()
        sources.read = source
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [self] in handleTimer() }
        timer.schedule(deadline: .distantFuture)
        timer.resume()
        sources.timer = timer
        queue.async { [self] in rearmTimer(now: MonotonicClock.now()) }
    }
}

extension Server {
    /// `droppedPublishes`, read on the server's queue (call from outside it).
    package func droppedPublishesForTesting() -> Int { queue.sync { droppedPublishes } }

    /// The most actions one batch held before it was applied, read on the server's queue.
    package func peakBatchActionsForTesting() -> Int { queue.sync { peakBatchActions } }

    /// How often a connection became congested, read on the server's queue.
    package func congestionEpisodesForTesting() -> Int { queue.sync { backpressure.episodes } }

    /// The broker's counters, read on the server's queue (call from outside it).
    package func brokerStatisticsForTesting() -> BrokerStatistics { queue.sync { broker.statistics } }

    /// The batch limit (a constant; readable from any thread).
    package var batchActionLimitForTesting: Int { batchActionLimit }
}
