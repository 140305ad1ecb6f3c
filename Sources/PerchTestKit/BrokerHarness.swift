import PerchBroker
import PerchCodec

/// Drives a `Broker` with a virtual clock and records its actions per connection, for
/// scenario tests without sockets.
///
///     let h = BrokerHarness()
///     let c = h.connect("sensor", version: .v5)      // .opened + CONNECT
///     h.send(c, .pingreq)
///     #expect(h.take(c) == [.pingresp])
///     h.advance(seconds: 90)                          // fires .tick at every due deadline
public final class BrokerHarness {
    public let broker: Broker
    /// The virtual clock.
    public private(set) var now: Timestamp
    /// Every action, in order.
    public private(set) var actions: [BrokerAction] = []
    private var sentPackets: [ConnectionID: [Packet]] = [:]
    private var closedConnections: Set<ConnectionID> = []
    /// Every `.persist` change, in order.
    public private(set) var persisted: [StoreChange] = []
    private var nextConnection: UInt64 = 1
    /// The protocol version of each connection, as the broker announced it (`.connecting`).
    private var versions: [ConnectionID: ProtocolVersion] = [:]
    /// Each accepted connection's client, as the broker announced it (`.accepted`).
    public private(set) var accepted: [ConnectionID: AcceptedClient] = [:]
    /// Every `.checkPassword` the broker asked for, in order (answer with `.passwordChecked`).
    public private(set) var passwordChecks: [(ConnectionID, PasswordCheck)] = []

    public init(configuration: BrokerConfiguration = BrokerConfiguration(), retained: [Message] = [],
                authenticator: (any Authenticator)? = nil, authorizer: (any Authorizer)? = nil,
                start: Timestamp = Timestamp(milliseconds: 1_000_000)) {
        broker = Broker(configuration: configuration, retained: retained, authenticator: authenticator,
                        authorizer: authorizer)
        now = start
    }

    /// Whether every connection's output counts as drained at once: each drain the broker
    /// asks for (`takeDrainRequests`) is answered with `.outputDrained` after the event.
    public var drainsAtOnce = true
    /// Drains the broker asked for and `drainsAtOnce` did not answer.
    public private(set) var drainRequests: [ConnectionID] = []

    /// Feeds one event at the current virtual time.
    public func handle(_ event: BrokerEvent) {
        var batch: [BrokerAction] = []
        broker.handle(event, now: now, into: &batch)
        record(batch)
        broker.takeDrainRequests(into: &drainRequests)
        while drainsAtOnce, let id = drainRequests.popLast() {
            batch.removeAll()
            broker.handle(.outputDrained(id), now: now, into: &batch)
            record(batch)
            broker.takeDrainRequests(into: &drainRequests)
        }
    }

    /// Answers the drains asked for so far (with `drainsAtOnce` off).
    public func drainAll() {
        let requested = drainRequests
        drainRequests.removeAll()
        for id in requested { handle(.outputDrained(id)) }
    }

    private func record(_ batch: [BrokerAction]) {
        for action in batch {
            actions.append(action)
            switch action {
            case .send(let id, let packet):
                precondition(!closedConnections.contains(id), "packet sent after close on \(id)")
                checkWire(packet, version: versions[id] ?? .v311)
                sentPackets[id, default: []].append(packet)
            case .close(let id): closedConnections.insert(id)
            case .persist(let change): persisted.append(change)
            case .connecting(let id, let version, _): versions[id] = version
            case .accepted(let id, let client): accepted[id] = client
            case .checkPassword(let id, let check): passwordChecks.append((id, check))
            }
        }
    }

    /// A new connection (`.opened`) on a listener with `policy`.
    public func open(policy: ListenerPolicy = ListenerPolicy()) -> ConnectionID {
        let id = ConnectionID(nextConnection)
        nextConnection += 1
        handle(.opened(id, policy))
        return id
    }

    public func send(_ connection: ConnectionID, _ packet: Packet) {
        handle(.packet(connection, packet))
    }

    /// Every packet the broker sends must encode at the size the codec states and decode
    /// back to itself for the connection's version (3.1.1 for a connection without CONNECT).
    private func checkWire(_ packet: Packet, version: ProtocolVersion) {
        switch packet.readBack(version: version) {
        case .failure(let problem): preconditionFailure("\(problem)")
        case .success(let decoded):
            if version == .v5 || !packet.hasVersionSpecificFields {
                precondition(decoded == packet, "\(packet) decodes as \(decoded) for \(version)")
            }
        }
    }
    public func malformed(_ connection: ConnectionID, _ error: DecodeError) { handle(.malformed(connection, error)) }
    /// The transport reports the connection gone (`.closed`).
    public func drop(_ connection: ConnectionID) {
        closedConnections.insert(connection)
        handle(.closed(connection))
    }
    public func shutdown() { handle(.shutdown) }

    /// Moves the clock, firing `.tick` at every `nextDeadline` on the way.
    public func advance(milliseconds: Int64) {
        let target = now.adding(milliseconds: milliseconds)
        while let deadline = broker.nextDeadline, deadline <= target {
            if deadline > now { now = deadline }
            handle(.tick)
        }
        now = target
    }

    public func advance(seconds: Int64) { advance(milliseconds: seconds * 1000) }

    /// Everything sent to the connection so far.
    public func sent(_ connection: ConnectionID) -> [Packet] { sentPackets[connection] ?? [] }

    /// What was sent to the connection since the last `take`, and forgets it.
    public func take(_ connection: ConnectionID) -> [Packet] {
        defer { sentPackets[connection] = [] }
        return sentPackets[connection] ?? []
    }

    /// Whether the broker closed the connection (or the harness dropped it).
    public func closed(_ connection: ConnectionID) -> Bool { closedConnections.contains(connection) }

    /// Puts packets back as not yet taken (used by helpers that filter what they took).
    func putBack(_ packets: [Packet], on connection: ConnectionID) {
        sentPackets[connection, default: []].append(contentsOf: packets)
    }

    /// Forgets recorded store changes.
    public func clearPersisted() { persisted.removeAll() }
}

extension Packet {
    /// Whether encoding for 3.1/3.1.1 drops fields of this value (properties, reason codes),
    /// so that it cannot decode back to the same value.
    fileprivate var hasVersionSpecificFields: Bool {
        switch self {
        case .connack(let ack): return !ack.properties.isEmpty || ack.reason != .success
        case .publish(let publish): return !publish.properties.isEmpty
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            return !ack.properties.isEmpty || ack.reason != .success
        case .suback, .unsuback, .disconnect, .auth, .connect: return true
        case .subscribe, .unsubscribe, .pingreq, .pingresp: return false
        }
    }
}
