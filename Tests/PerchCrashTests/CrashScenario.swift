#if canImport(Glibc)
import Glibc
#endif
import PerchCodec
import PerchTestKit

/// One data directory, a real `perch` on it killed with SIGKILL again and again, and the
/// clients' view of what it promised:
///
/// - `pub` (persistent, 3.1.1) publishes numbered QoS 1 / QoS 2 messages to `c/m` and
///   retained ones to `c/r/0..2`, one at a time, resending after a restart (DUP, or PUBREL
///   once PUBREC came). A message counts as acknowledged when its PUBACK / PUBREC arrived.
/// - `sub1` (3.1.1, QoS 1) and `sub2` (MQTT 5 with a Session Expiry Interval, QoS 2) are
///   persistent subscribers to `c/#`; a QoS 2
///   PUBLISH whose id is still awaiting PUBREL is a redelivery, not a second message.
///
/// After each restart the clients reconnect and drain, then `check()` lists violations:
/// an acknowledged message missing at a subscriber, a QoS 2 message received twice, an
/// acknowledged retained update gone.
final class CrashScenario {
    final class Subscriber {
        let name: String
        let qos: QoS
        let version: ProtocolVersion
        var client: RawClient?
        var received: [Int: Int] = [:]
        var awaitingRelease: Set<UInt16> = []
        var qos2Payloads: Set<Int> = []
        init(name: String, qos: QoS, version: ProtocolVersion) {
            self.name = name
            self.qos = qos
            self.version = version
        }
    }

    struct Outstanding {
        var publish: Publish
        var released = false
    }

    var rng: SplitMix64
    let directory: String
    var broker: BrokerProcess?
    var publisher: RawClient?
    var outstanding: Outstanding?
    var nextPayload = 1
    var nextPacketID: UInt16 = 1
    var acknowledged: [Int: QoS] = [:]
    var retainedAcknowledged: [String: Int] = [:]
    let subscribers = [Subscriber(name: "sub1", qos: .atLeastOnce, version: .v311),
                       Subscriber(name: "sub2", qos: .exactlyOnce, version: .v5)]
    var started = false
    var problems: [String] = []

    init(seed: UInt64, directory: String) {
        rng = SplitMix64(seed: seed)
        self.directory = directory
    }

    /// Starts `perch` and reconnects every client (subscribing on the very first start).
    func start() throws {
        broker = try BrokerProcess(directory: directory)
        let port = broker!.port
        let pub = try RawClient(port: port)
        try pub.connect(version: .v311, clientID: "pub", cleanStart: false)
        publisher = pub
        if let out = outstanding { try pub.send(resend(out)) }
        for sub in subscribers {
            let client = try RawClient(port: port)
            var properties = Properties()
            properties.sessionExpiryInterval = 3600
            try client.connect(version: sub.version, clientID: sub.name, cleanStart: false,
                               properties: sub.version == .v5 ? properties : Properties())
            if !started { try client.subscribe("c/#", qos: sub.qos) }
            sub.client = client
        }
        started = true
    }

    func resend(_ out: Outstanding) -> Packet {
        if out.released { return .pubrel(PubAck(packetID: out.publish.packetID!)) }
        var again = out.publish
        again.dup = true
        return .publish(again)
    }

    /// `steps` rounds of publishing and reading, then SIGKILL after a random pause.
    func trafficThenKill(steps: Int) throws {
        for _ in 0..<steps {
            if outstanding == nil { try publishNext() }
            try pumpPublisher()
            for sub in subscribers { try pump(sub) }
        }
        if outstanding == nil { try publishNext() }
        usleep(UInt32(rng.next() % 3000))
        broker?.kill()
        broker = nil
        publisher?.close()
        for sub in subscribers { sub.client?.close() }
    }

    func publishNext() throws {
        let qos: QoS = rng.next() % 2 == 0 ? .atLeastOnce : .exactlyOnce
        let retain = rng.next() % 3 == 0
        let topic = retain ? "c/r/\(rng.next() % 3)" : "c/m"
        let publish = Publish(qos: qos, retain: retain, topic: topic, packetID: PacketID(nextPacketID)!,
                              payload: Array(String(nextPayload).utf8))
        nextPayload += 1
        nextPacketID = nextPacketID == 65535 ? 1 : nextPacketID + 1
        outstanding = Outstanding(publish: publish)
        try publisher?.send(.publish(publish))
    }

    func number(_ payload: [UInt8]) -> Int { Int(String(decoding: payload, as: UTF8.self)) ?? -1 }

    func pumpPublisher(timeout: Double = 0.001) throws {
        guard let pub = publisher else { return }
        while let packet = try pub.receive(timeout: timeout) {
            guard var out = outstanding, let id = out.publish.packetID else { continue }
            if case .puback(let ack) = packet, ack.packetID == id, out.publish.qos == .atLeastOnce {
                noteAcknowledged(out.publish)
                outstanding = nil
            } else if case .pubrec(let ack) = packet, ack.packetID == id, out.publish.qos == .exactlyOnce, !out.released {
                noteAcknowledged(out.publish)
                out.released = true
                outstanding = out
                try pub.send(.pubrel(PubAck(packetID: id)))
            } else if case .pubcomp(let ack) = packet, ack.packetID == id, out.released {
                outstanding = nil
            }
        }
    }

    func noteAcknowledged(_ publish: Publish) {
        let n = number(publish.payload)
        acknowledged[n] = publish.qos
        if publish.retain { retainedAcknowledged[publish.topic] = max(retainedAcknowledged[publish.topic] ?? 0, n) }
    }

    /// Reads what a subscriber has and answers it; returns whether anything arrived.
    @discardableResult
    func pump(_ sub: Subscriber, timeout: Double = 0.001) throws -> Bool {
        guard let client = sub.client else { return false }
        var any = false
        while let packet = try client.receive(timeout: timeout) {
            any = true
            if case .publish(let publish) = packet, let id = publish.packetID {
                let n = number(publish.payload)
                if publish.qos == .exactlyOnce {
                    if sub.awaitingRelease.insert(id.rawValue).inserted {
                        sub.received[n, default: 0] += 1
                        if !sub.qos2Payloads.insert(n).inserted { problems.append("\(sub.name) got QoS 2 message \(n) twice") }
                    }
                    try client.send(.pubrec(PubAck(packetID: id)))
                } else {
                    sub.received[n, default: 0] += 1
                    try client.send(.puback(PubAck(packetID: id)))
                }
            } else if case .pubrel(let ack) = packet {
                sub.awaitingRelease.remove(ack.packetID.rawValue)
                try client.send(.pubcomp(PubAck(packetID: ack.packetID)))
            }
        }
        return any
    }

    /// Completes every flow: the publisher's outstanding message, the subscribers' queues.
    func drain() throws {
        let deadline = BrokerProcess.now() + 20
        var quietSince = BrokerProcess.now()
        while BrokerProcess.now() < deadline {
            try pumpPublisher(timeout: 0.005)
            var any = false
            for sub in subscribers where try pump(sub, timeout: 0.005) { any = true }
            if any || outstanding != nil { quietSince = BrokerProcess.now() }
            if BrokerProcess.now() - quietSince > 0.25 { return }
        }
        problems.append("flows did not complete within 20 s (outstanding: \(outstanding != nil))")
    }

    /// Violations so far (after `drain`).
    func check() throws -> [String] {
        var found = problems
        for (n, qos) in acknowledged.sorted(by: { $0.key < $1.key }) {
            for sub in subscribers where (sub.received[n] ?? 0) == 0 {
                found.append("\(sub.name) never got acknowledged message \(n) (QoS \(qos.rawValue))")
            }
        }
        let retained = try readRetained()
        for (topic, value) in retainedAcknowledged.sorted(by: { $0.key < $1.key }) where (retained[topic] ?? 0) < value {
            found.append("retained \(topic) is \(retained[topic] ?? 0), acknowledged \(value)")
        }
        return found
    }

    /// The retained messages of `c/r/+`, as a new clean client sees them.
    func readRetained() throws -> [String: Int] {
        let checker = try RawClient(port: broker!.port)
        defer { checker.disconnect() }
        try checker.connect(version: .v311, clientID: "checker")
        try checker.subscribe("c/r/+", qos: .atMostOnce)
        var values: [String: Int] = [:]
        while let packet = try checker.receive(timeout: 0.2) {
            if case .publish(let publish) = packet, publish.retain { values[publish.topic] = number(publish.payload) }
        }
        return values
    }

    func stop() {
        broker?.kill()
        broker = nil
    }
}
