import PerchCodec

/// The state MQTT keeps for a client id across connections (MQTT §4.1): subscriptions,
/// outbound QoS 1/2 messages in flight and queued, inbound QoS 2 ids awaiting PUBREL, and
/// its expiry. Sessions live in `SessionTable` under an integer handle; the `TopicTree`
/// refers to them by that handle only.
///
/// Every session takes one slot of `SessionTable` whether it has anything in flight or
/// not, so the layout is kept tight: word-sized fields first, the small ones where they
/// share a word, the optional connection stored as a plain integer with a sentinel (an
/// `Optional` of an 8-byte value takes 16 bytes in a struct), and what only a
/// disconnected session needs boxed.
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
    /// Outbound window: min(maxInflightMessages, the client's Receive Maximum).
    var window: Int {
        get { Int(windowRaw) }
        set { windowRaw = Int32(clamping: newValue) }
    }
    private var windowRaw: Int32 = 65535
    /// The client's v5 Maximum Packet Size (0 = the protocol's).
    var maximumPacketSize: UInt32 = 0
    var version: ProtocolVersion
    /// v5 Request Problem Information (false: no Reason String / User Properties on acks).
    var problemInformation = true
    var queue = DeliveryQueue()
    /// Inbound QoS 2 packet ids PUBREC'd and awaiting PUBREL (MQTT-4.3.3-2 / v5 -10).
    var inboundQoS2: Set<UInt16> = []
    /// Set while disconnected with a finite, non-zero expiry. A `.sessionExpiry` timer
    /// entry is live only while its deadline equals this (see `Broker+Timers`).
    var expiresAt: Timestamp? {
        get { offline?.expiresAt }
        set { setOffline(expiresAt: newValue, willDueAt: willDueAt, delayedWill: delayedWill) }
    }
    /// When `delayedWill` is due (the live `.delayedWill` entry has this deadline).
    var willDueAt: Timestamp? {
        get { offline?.willDueAt }
        set { setOffline(expiresAt: expiresAt, willDueAt: newValue, delayedWill: delayedWill) }
    }
    /// A v5 Will waiting out its Will Delay Interval after the connection closed.
    var delayedWill: Will? {
        get { offline?.delayedWill }
        set { setOffline(expiresAt: expiresAt, willDueAt: willDueAt, delayedWill: newValue) }
    }
    /// The three above, boxed: they are set only while disconnected, and every session
    /// slot would otherwise carry 24 bytes for them.
    private var offline: OfflineState?
    /// Outbound topic aliases of the current connection: topic → alias, at most
    /// `outboundAliasLimit` (min of the client's Topic Alias Maximum and the broker's).
    var outboundAliases: [ExactString: UInt16] = [:]

    init(clientID: String, generation: UInt64, version: ProtocolVersion) {
        self.clientID = clientID
        self.generation = generation
        self.version = version
    }

    /// `connectionRaw` without a connection (no transport hands out this id).
    private static let none = UInt64.max

    private mutating func setOffline(expiresAt: Timestamp?, willDueAt: Timestamp?, delayedWill: Will?) {
        offline = expiresAt == nil && willDueAt == nil && delayedWill == nil
            ? nil : OfflineState(expiresAt: expiresAt, willDueAt: willDueAt, delayedWill: delayedWill)
    }
}

/// What a disconnected session waits for, out of line (immutable; a change stores a new box).
final class OfflineState: Sendable {
    let expiresAt: Timestamp?
    let willDueAt: Timestamp?
    let delayedWill: Will?
    init(expiresAt: Timestamp?, willDueAt: Timestamp?, delayedWill: Will?) {
        self.expiresAt = expiresAt
        self.willDueAt = willDueAt
        self.delayedWill = delayedWill
    }
}

/// Sessions by integer handle with a free list, and the client id index.
struct SessionTable: Sendable {
    private(set) var slots: [Session?] = []
    private var freeSlots: [Int] = []
    private(set) var byClientID: [ExactString: Int] = [:]
    private var generation: UInt64 = 0

    var count: Int { byClientID.count }

    /// The live session of `handle` (borrowed in place: reading a field copies nothing else).
    subscript(handle: Int) -> Session {
        _read { yield slots[handle]! }
        _modify { yield &slots[handle]! }
    }

    func handle(of clientID: String) -> Int? { byClientID[ExactString(clientID)] } // bytes, not canonical equivalence

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
        byClientID[ExactString(clientID)] = handle
        return handle
    }

    mutating func remove(_ handle: Int) {
        guard let session = slots[handle] else { return }
        byClientID[ExactString(session.clientID)] = nil
        slots[handle] = nil
        freeSlots.append(handle)
    }
}
