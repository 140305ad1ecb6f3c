import PerchBroker
import PerchCodec
@testable import PerchStore
import PerchTestKit

/// The pure core plus the store over `MemoryFileSystem`, driven like the server drives
/// them (apply a batch, commit, only then deliver its output), with a persistent QoS 1/2
/// publisher and two persistent subscribers (3.1.1 QoS 1 and MQTT 5 QoS 2 with a Session
/// Expiry Interval, on `t/#`), and power cuts at
/// random points: before a commit (the batch's output never leaves) or after it.
final class CrashSimulation {
    struct Outstanding {
        var packetID: UInt16
        var publish: Publish
        var released = false
    }

    final class Subscriber {
        let name: String
        let qos: QoS
        var connection: ConnectionID?
        /// Deliveries counted per payload (a QoS 2 redelivery of an id awaiting PUBREL is not counted).
        var received: [Int: Int] = [:]
        var awaitingRelease: Set<UInt16> = []
        init(name: String, qos: QoS) {
            self.name = name
            self.qos = qos
        }
    }

    var rng: SplitMix64
    let fs = MemoryFileSystem()
    var store: FileStore
    var broker: Broker
    var now = Timestamp.seconds(1000)
    var nextConnection: UInt64 = 1
    var publisher: ConnectionID?
    var outstanding: Outstanding?
    var nextPayload = 1
    var nextPacketID: UInt16 = 1
    let subscribers = [Subscriber(name: "sub1", qos: .atLeastOnce), Subscriber(name: "sub2", qos: .exactlyOnce)]
    /// Client packets not yet read by the broker, in order.
    var inbox: [(ConnectionID, Packet)] = []
    /// Acknowledged payloads and their QoS; retained topic -> highest acknowledged payload.
    var acknowledged: [Int: QoS] = [:]
    var retainedAcknowledged: [String: Int] = [:]
    var crashes = 0

    init(seed: UInt64) throws {
        rng = SplitMix64(seed: seed)
        store = memoryStore(fs, threshold: 3000)
        broker = Broker(configuration: BrokerConfiguration())
        try recover()
        for sub in subscribers {
            inbox.append((sub.connection!, .subscribe(Subscribe(packetID: PacketID(1)!, entries: [
                .valid(Subscription(filter: TopicFilter(unchecked: "t/#", shareName: nil, filter: "t/#"), qos: sub.qos)),
            ]))))
        }
        while !inbox.isEmpty { try step(crashAllowed: false) }
    }

    /// A fresh store and broker on the same files, and every client reconnected.
    func recover() throws {
        store = memoryStore(fs, threshold: 3000)
        let state = try store.open(now: now)
        broker = Broker(configuration: BrokerConfiguration(), retained: state.retained)
        broker.restore(sessions: state.sessions, now: now)
        inbox = []
        publisher = connect("pub")
        for sub in subscribers { sub.connection = connect(sub.name) }
    }

    func connect(_ clientID: String) -> ConnectionID {
        let id = ConnectionID(nextConnection)
        nextConnection += 1
        var actions: [BrokerAction] = []
        broker.handle(.opened(id), now: now, into: &actions)
        // sub2 speaks MQTT 5 with a Session Expiry Interval; the others 3.1.1 without Clean Session.
        var properties = Properties()
        properties.sessionExpiryInterval = 3600
        let connect = clientID == "sub2"
            ? Connect(version: .v5, cleanStart: false, keepAlive: 0, clientID: clientID, properties: properties)
            : Connect(version: .v311, cleanStart: false, keepAlive: 0, clientID: clientID)
        inbox.append((id, .connect(connect)))
        return id
    }

    /// One batch: the broker reads some client packets (and maybe a new PUBLISH), then the
    /// store commits and the output is delivered, unless the power is cut first.
    func step(crashAllowed: Bool) throws {
        if outstanding == nil, publisher != nil, rng.below(3) > 0 { publishNext() }
        let count = inbox.isEmpty ? 0 : 1 + rng.below(inbox.count)
        let packets = inbox.prefix(count)
        inbox.removeFirst(count)
        var actions: [BrokerAction] = []
        for (id, packet) in packets { broker.handle(.packet(id, packet), now: now, into: &actions) }
        broker.takeDurableChanges(into: &actions)
        now = now.adding(milliseconds: 10)
        if crashAllowed, rng.below(12) == 0 { return try crash(beforeCommit: true) }
        for case .persist(let change) in actions { store.apply(change) }
        try store.commit(now: now)
        if crashAllowed, rng.below(12) == 0 { return try crash(beforeCommit: false) }
        for case .send(let id, let packet) in actions { deliver(packet, to: id) }
    }

    func crash(beforeCommit: Bool) throws {
        crashes += 1
        // The process dies with its compaction thread: let a running one finish first (the
        // files then are one of the states a crash can leave; the process crash tests cut
        // compactions at random points too).
        store.compaction.wait()
        fs.crash(&rng)
        try recover()
    }

    func publishNext() {
        let qos: QoS = rng.below(2) == 0 ? .atLeastOnce : .exactlyOnce
        let retain = rng.below(3) == 0
        let topic = retain ? "t/r\(rng.below(3))" : "t/m"
        let id = nextPacketID
        nextPacketID = nextPacketID == 65535 ? 1 : nextPacketID + 1
        let publish = Publish(qos: qos, retain: retain, topic: topic, packetID: PacketID(id)!,
                              payload: Array(String(nextPayload).utf8))
        nextPayload += 1
        outstanding = Outstanding(packetID: id, publish: publish)
        inbox.append((publisher!, .publish(publish)))
    }

    func payload(_ publish: Publish) -> Int { Int(String(decoding: publish.payload, as: UTF8.self))! }

    func deliver(_ packet: Packet, to id: ConnectionID) {
        if id == publisher { return publisherReceived(packet) }
        guard let sub = subscribers.first(where: { $0.connection == id }) else { return }
        if case .publish(let publish) = packet, let packetID = publish.packetID {
            if publish.qos == .exactlyOnce {
                if sub.awaitingRelease.insert(packetID.rawValue).inserted { sub.received[payload(publish), default: 0] += 1 }
                inbox.append((id, .pubrec(PubAck(packetID: packetID))))
            } else {
                sub.received[payload(publish), default: 0] += 1
                inbox.append((id, .puback(PubAck(packetID: packetID))))
            }
        } else if case .pubrel(let ack) = packet {
            sub.awaitingRelease.remove(ack.packetID.rawValue)
            inbox.append((id, .pubcomp(PubAck(packetID: ack.packetID))))
        }
    }

    func publisherReceived(_ packet: Packet) {
        guard var out = outstanding else { return }
        if case .connack = packet {
            var again = out.publish
            again.dup = true
            inbox.append((publisher!, out.released ? .pubrel(PubAck(packetID: PacketID(out.packetID)!)) : .publish(again)))
        } else if case .puback(let ack) = packet, ack.packetID.rawValue == out.packetID, out.publish.qos == .atLeastOnce {
            noteAcknowledged(out.publish)
            outstanding = nil
        } else if case .pubrec(let ack) = packet, ack.packetID.rawValue == out.packetID, out.publish.qos == .exactlyOnce {
            noteAcknowledged(out.publish)
            out.released = true
            outstanding = out
            inbox.append((publisher!, .pubrel(PubAck(packetID: ack.packetID))))
        } else if case .pubcomp(let ack) = packet, ack.packetID.rawValue == out.packetID {
            outstanding = nil
        }
    }

    func noteAcknowledged(_ publish: Publish) {
        acknowledged[payload(publish)] = publish.qos
        if publish.retain { retainedAcknowledged[publish.topic] = max(retainedAcknowledged[publish.topic] ?? 0, payload(publish)) }
    }

    /// Runs without crashes until every flow completed.
    func drain() throws {
        for _ in 0..<400 where !(inbox.isEmpty && outstanding == nil) { try step(crashAllowed: false) }
    }

    /// What went wrong, if anything.
    func violations() -> [String] {
        var problems: [String] = []
        for (payload, qos) in acknowledged.sorted(by: { $0.key < $1.key }) {
            for sub in subscribers {
                let count = sub.received[payload] ?? 0
                if count == 0 { problems.append("\(sub.name) never got acknowledged \(payload) (QoS \(qos))") }
                if qos == .exactlyOnce && sub.qos == .exactlyOnce && count > 1 {
                    problems.append("\(sub.name) got QoS 2 message \(payload) \(count) times")
                }
            }
        }
        for (topic, value) in retainedAcknowledged {
            let stored = broker.retainedMessages.first { $0.topic.string == topic }
            let storedValue = stored.map { Int(String(decoding: $0.payload, as: UTF8.self))! } ?? 0
            if storedValue < value { problems.append("retained \(topic) is \(storedValue), acknowledged \(value)") }
        }
        return problems
    }
}

extension SplitMix64 {
    /// A number in 0..<n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
