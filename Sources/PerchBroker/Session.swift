import PerchCodec

/// The state MQTT keeps for a client id across connections (MQTT §4.1): subscriptions,
/// outbound QoS 1/2 messages in flight and queued, inbound QoS 2 ids awaiting PUBREL, and
/// its expiry. Sessions live in `SessionTable` under an integer handle; the `TopicTree`
/// refers to them by that handle only.
///
/// Every session takes one slot of `SessionTable` whether it has anything in flight or
/// not, so the layout is kept tight: word-sized fields first, the small ones where they
/// share a word, and the optional instants and connection stored as plain integers with
/// a sentinel (an `Optional` of an 8-byte value takes 16 bytes in a struct).
struct Session: Sendable {
    let clientID: String
    /// Distinguishes this session from a later one reusing the same handle (timers).
    let generation: UInt64
    /// The connection using it, nil while disconnected.
    var connection: ConnectionID? {
        get { connectionRaw == Session.none ? nil : ConnectionID(connectionRaw) }
        set { connectionRaw = newValue?.rawValue ?? Session.none }
    }
    private var connectionRaw = Session.none
    /// Subscriptions by the filter string as sent (UNSUBSCRIBE compares literally).
    var subscriptions = SessionSubscriptions()
    var inflight = InflightWindow()
    var outboundAliasLimit: UInt16 = 0
    /// Seconds the session outlives its connection: 0 = ends at close, UInt32.max = never.
    var expiryInterval: UInt32 = 0
    var queue = DeliveryQueue()
    /// Inbound QoS 2 packet ids PUBREC'd and awaiting PUBREL (MQTT-4.3.3-2 / v5 -10).
    var inboundQoS2: Set<UInt16> = []
    /// Set while disconnected with a finite, non-zero expiry. A `.sessionExpiry` timer
    /// entry is live only while its deadline equals this (see `Broker+Timers`).
    var expiresAt: Timestamp? {
        get { Session.instant(expiresAtRaw) }
        set { expiresAtRaw = newValue?.milliseconds ?? Session.never }
    }
    private var expiresAtRaw = Session.never
    /// When `delayedWill` is due (the live `.delayedWill` entry has this deadline).
    var willDueAt: Timestamp? {
        get { Session.instant(willDueAtRaw) }
        set { willDueAtRaw = newValue?.milliseconds ?? Session.never }
    }
    private var willDueAtRaw = Session.never
    /// A v5 Will waiting out its Will Delay Interval after the connection closed.
    /// (Boxed like `ConnectedClient.will`: rare, and every session slot carries 8 bytes.)
    var delayedWill: Will? {
        get { delayedWillBox?.value }
        set { delayedWillBox = newValue.map(WillBox.init) }
    }
    private var delayedWillBox: WillBox?
    /// Outbound window: min(maxInflightMessages, the client's Receive Maximum).
    var window: Int = 65535
    /// Outbound topic aliases of the current connection: topic → alias, at most
    /// `outboundAliasLimit` (min of the client's Topic Alias Maximum and the broker's).
    var outboundAliases: [String: UInt16] = [:]
    /// The client's v5 Maximum Packet Size (0 = the protocol's).
    var maximumPacketSize: UInt32 = 0
    var version: ProtocolVersion
    /// v5 Request Problem Information (false: no Reason String / User Properties on acks).
    var problemInformation = true

    init(clientID: String, generation: UInt64, version: ProtocolVersion) {
        self.clientID = clientID
        self.generation = generation
        self.version = version
    }

    /// `connectionRaw` without a connection (no transport hands out this id).
    private static let none = UInt64.max
    /// The raw value of an absent instant (no clock reads this far in the past).
    private static let never = Int64.min

    private static func instant(_ raw: Int64) -> Timestamp? {
        raw == never ? nil : Timestamp(milliseconds: raw)
    }
}

/// Sessions by integer handle with a free list, and the client id index.
struct SessionTable: Sendable {
    private(set) var slots: [Session?] = []
    private var freeSlots: [Int] = []
    private(set) var byClientID: [String: Int] = [:]
    private var generation: UInt64 = 0

    var count: Int { byClientID.count }

    /// The live session of `handle` (borrowed in place: reading a field copies nothing else).
    subscript(handle: Int) -> Session {
        _read { yield slots[handle]! }
        _modify { yield &slots[handle]! }
    }

    func handle(of clientID: String) -> Int? { byClientID[clientID] }

    func isLive(_ handle: Int, generation: UInt64) -> Bool {
        handle < slots.count && slots[handle]?.generation == generation
    }

    mutating func create(clientID: String, version: ProtocolVersion) -> Int {
        generation += 1
        let session = Session(clientID: clientID, generation: generation, version: version)
        let handle: Int
        if let free = freeSlots.popLast() {
            slots[free] = session
            handle = free
        } else {
            slots.append(session)
            handle = slots.count - 1
        }
        byClientID[clientID] = handle
        return handle
    }

    mutating func remove(_ handle: Int) {
        guard let session = slots[handle] else { return }
        byClientID[session.clientID] = nil
        slots[handle] = nil
        freeSlots.append(handle)
    }
}
