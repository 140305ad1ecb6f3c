import PerchCodec

/// The pure MQTT state machine: the transport feeds it events with the current time and
/// applies the actions it appends; nothing in here touches a socket, file or clock.
///
///     transport ──.opened/.packet/.malformed/.closed/.tick/.shutdown──▶ Broker
///     transport ◀──────────── .send / .close / .persist ──────────────── Broker
///     transport ◀── takeDurableChanges (once per batch, before the store commits)
///     store ──restore(sessions:now:) (once, at start-up)──▶ Broker
///
/// State (one owner, no globals): connections by `ConnectionID`, sessions by integer
/// handle (`SessionTable`), the subscription trie (`TopicTree`), the retained messages
/// (`RetainedIndex`) and one timer heap (`TimerQueue`) whose earliest entry is
/// `nextDeadline`. Facets: `+Connect`, `+Authentication` (v5 AUTH), `+Publish`,
/// `+Subscribe`, `+Delivery` (with outbound topic aliases), `+Timers`, `+Errors` (the one
/// place that maps errors to reactions), `+Diagnostics` (Reason Strings, fitting to the
/// client's limits), `+Close`, `+Persistence` (durable session images), `+Restore`, `+Access` (passwords off the loop, the ACL). Embedder hooks: `Authenticator`, `Authorizer`.
///
/// The hot stored properties are `@exclusivity(unchecked)`: the broker is confined to one
/// thread and never hands out overlapping accesses, and the runtime check on every access
/// of a class property was a sixth of all instructions per routed message (callgrind).
public final class Broker {
    let configuration: BrokerConfiguration
    /// Enhanced authentication (v5 AUTH); nil: CONNECT with a method gets 0x8C.
    let authenticator: (any Authenticator)?
    /// Publish / subscribe authorisation; nil allows everything.
    let authorizer: (any Authorizer)?
    /// Access realms (`AccessRealm`): realm 0 global, others per listener.
    var realms: [AccessRealm]
    /// Whether any realm has an ACL (else no session has rights to check).
    var hasACL = false
    /// Each session's resolved ACL rights by handle while an ACL applies; nil: not known yet
    /// (restored from disk, its client not back). Empty without an ACL.
    @exclusivity(unchecked) var sessionAccess: [SessionAccess?] = []
    /// The compiled rules of `sessionAccess` by handle, read per message in place
    /// (`.allowAll` where `sessionAccess` has none).
    @exclusivity(unchecked) var sessionRules: [CompiledRules] = []
    @exclusivity(unchecked) var connections = ConnectionMap()
    /// Listener policy and transport identity of the connections whose policy is not the
    /// default (`ListenerPolicy`); empty on a broker without such listeners.
    @exclusivity(unchecked) var contexts: [ConnectionID: ConnectionContext] = [:]
    @exclusivity(unchecked) var sessions = SessionTable()
    @exclusivity(unchecked) var tree = TopicTree()
    @exclusivity(unchecked) var retained = RetainedIndex()
    @exclusivity(unchecked) var timers = TimerQueue()
    var assignedIDCounter: UInt64 = 0
    /// Counters for the embedder.
    @exclusivity(unchecked) var statisticsStorage = BrokerStatistics()
    /// Scratch of `route`, kept to avoid allocations per message: one entry per matched
    /// session in match order, matches beyond a session's first, and for each session
    /// handle its entry's position + 1 in `routeMatches` (0: not matched yet; reset after
    /// every route). Plain values only, so collecting matches costs no reference counting.
    @exclusivity(unchecked) var routeMatches: [RouteMatch] = []
    @exclusivity(unchecked) var routeExtra: [RouteMatch.Grant] = []
    @exclusivity(unchecked) var routeSlot: [Int32] = []
    @exclusivity(unchecked) var routeShared: [TopicTree.SharedMatch] = []
    /// The time of the event being handled.
    @exclusivity(unchecked) var now = Timestamp(milliseconds: 0)
    /// The actions of the event being handled (swapped with the caller's array).
    @exclusivity(unchecked) var out: [BrokerAction] = []
    /// Client ids whose durable session state changed since the transport last took the
    /// durable changes (once per batch, `Broker+Persistence`).
    @exclusivity(unchecked) var durableDirty: Set<ExactString> = []
    /// Counts changes to durable state (a persistent session, a retained message): an event
    /// that leaves it unchanged sent nothing whose meaning depends on the store's commit,
    /// so the transport need not hold its acknowledgements for it (a full disk refuses
    /// only what must be durable).
    public internal(set) var durableChangeCount: Int {
        get { durableChangeCountStorage }
        set { durableChangeCountStorage = newValue }
    }
    @exclusivity(unchecked) var durableChangeCountStorage = 0
    /// The retained messages subscriptions matched that are not sent yet, by session handle
    /// (`RetainedBurst`).
    @exclusivity(unchecked) var retainedBursts: [Int: RetainedBurst] = [:]
    /// Connections whose retained burst waits for their output to drain, since the transport
    /// last took them (`takeDrainRequests`).
    @exclusivity(unchecked) var drainRequests: [ConnectionID] = []
    /// Connections whose session queue reached `backlogHigh` since the transport last took
    /// them (`takeBacklogged`).
    @exclusivity(unchecked) var newlyBacklogged: [ConnectionID] = []

    public init(configuration: BrokerConfiguration, retained: [Message] = [],
                authenticator: (any Authenticator)? = nil, authorizer: (any Authorizer)? = nil) {
        self.configuration = configuration
        self.authenticator = authenticator
        self.authorizer = authorizer
        self.realms = [AccessRealm(allowAnonymous: configuration.allowAnonymous)]
        for message in retained where !message.payload.isEmpty { self.retained.set(message) }
    }

    /// Handles one event at `now`, appending the resulting actions in order.
    public func handle(_ event: BrokerEvent, now: Timestamp, into actions: inout [BrokerAction]) {
        self.now = now
        swap(&out, &actions)
        defer { swap(&out, &actions) }
        switch event {
        case .opened(let id, let policy): opened(id, policy: policy)
        case .identified(let id, let identity): contexts[id]?.identity = identity
        case .packet(let id, let packet): received(mounted(packet, on: id), on: id)
        case .malformed(let id, let error): malformed(error, on: id)
        case .closed(let id): lost(id)
        case .passwordChecked(let id, let valid): passwordChecked(id, valid: valid)
        case .accessChanged(let realms): changeAccess(realms)
        case .tick: fireDueTimers()
        case .outputDrained(let id): outputDrained(id)
        case .shutdown: shutdown()
        }
    }

    /// When the transport must send `.tick` next; nil when nothing is timed.
    public var nextDeadline: Timestamp? { timers.nextDeadline }

    /// The current retained set (for store snapshots).
    public var retainedMessages: [Message] { retained.all }

    /// Counters: clients, sessions, messages, retained, drops.
    public var statistics: BrokerStatistics {
        var stats = statisticsStorage
        stats.sessions = sessions.count
        stats.retainedMessages = retained.count
        return stats
    }

    func send(_ packet: Packet, to id: ConnectionID) { out.append(.send(id, packet)) }

    private func opened(_ id: ConnectionID, policy: ListenerPolicy) {
        connections[id] = Connection()
        if !policy.isDefault { contexts[id] = ConnectionContext(policy: policy) }
        schedule(.connectTimeout(id), at: now.adding(seconds: configuration.connectTimeout))
    }

    /// Dispatches one decoded packet by connection state and type.
    func received(_ packet: Packet, on id: ConnectionID) {
        guard let client = connections[id]?.client else {
            guard let connection = connections[id] else { return } // [MQTT-3.1.4-5]
            if connection.authentication != nil {
                receivedDuringAuthentication(packet, on: id)
                return
            }
            if let pending = connection.passwordCheck {
                receivedDuringPasswordCheck(packet, pending: pending, on: id)
                return
            }
            guard case .connect(let connect) = packet else {
                closeSilently(id) // first packet must be CONNECT: [v311 MQTT-4.8.0-1] [v5 MQTT-4.13.1-1]
                return
            }
            out.append(.connecting(id, version: connect.version, clientID: connect.clientID))
            accept(connect, on: id)
            return
        }
        connections[id]?.client?.lastActivity = now // any packet resets keep alive
        switch packet {
        case .connect: violation(.protocolError, on: id) // [MQTT-3.1.0-2]
        case .publish(let publish): handlePublish(publish, on: id, client: client)
        case .puback(let ack): handlePubAck(ack, session: client.session)
        case .pubrec(let ack): handlePubRec(ack, session: client.session)
        case .pubrel(let ack): handlePubRel(ack, on: id, client: client)
        case .pubcomp(let ack): handlePubComp(ack, session: client.session)
        case .subscribe(let subscribe): handleSubscribe(subscribe, on: id, client: client)
        case .unsubscribe(let unsubscribe): handleUnsubscribe(unsubscribe, on: id, client: client)
        case .pingreq: send(.pingresp, to: id) // [MQTT-3.12.4-1]
        case .disconnect(let disconnect): handleDisconnect(disconnect, on: id, client: client)
        case .connack, .suback, .unsuback, .pingresp: violation(.protocolError, on: id)
        case .auth(let auth): handleAuth(auth, on: id, client: client)
        }
    }
}
