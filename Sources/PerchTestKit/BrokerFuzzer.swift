import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

/// Random event sequences against the broker, checking after every step: no crash; no
/// packet after close and every packet valid on the wire (the harness traps); internal
/// invariants (in-flight within the window, queue drained while there is room); no QoS 2
/// message delivered twice to a client except as a DUP redelivery.
struct Fuzzer {
    var random: SplitMix64
    let h: BrokerHarness
    var live: [String: ConnectionID] = [:]
    var versions: [String: ProtocolVersion] = [:]
    var counter = 0
    var seenQoS2: [String: Set<[UInt8]>] = [:]
    var problems: [String] = []
    /// Acks each client owes the broker, from what it received (sent in random order).
    var owed: [String: [Packet]] = [:]
    let clients = ["c0", "c1", "c2", "c3", "s0", "s1"]
    let topics = ["a", "a/b", "a/b/c", "$SYS/x", "b"]
    let filters = ["a", "a/+", "a/#", "#", "+/b", "b", "$SYS/#"]

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
        var config = BrokerConfiguration()
        config.maxInflightMessages = 3
        config.maxQueuedMessages = 5
        config.receiveMaximum = 4
        h = BrokerHarness(configuration: config)
        for (index, client) in clients.enumerated() { versions[client] = index % 2 == 0 ? .v5 : .v311 }
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    mutating func step() {
        let client = pick(clients)
        guard let c = live[client], !h.closed(c) else {
            connect(client)
            return
        }
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<30: publish(from: c)
        case 30..<40:
            // Share-group members ("s…") hold only one shared filter, so each may get each
            // message at most once; the others hold ordinary subscriptions.
            let shared = client.hasPrefix("s")
            h.subscribe(c, shared ? "a/#" : pick(filters), qos: pick(QoS.allCases),
                        id: UInt16.random(in: 1...5, using: &random), share: shared ? "g1" : nil)
        case 40..<45:
            h.send(c, .unsubscribe(Unsubscribe(packetID: PacketID(1)!,
                                               filters: [client.hasPrefix("s") ? "$share/g1/a/#" : pick(filters)])))
        case 45..<70: acknowledge(c, client: client)
        case 70..<75: h.drop(c)
        case 75..<78: h.send(c, .disconnect(Disconnect()))
        case 78..<80: h.malformed(c, DecodeError(.malformedPacket, "fuzz"))
        case 80..<85: h.send(c, .pubrel(PubAck(packetID: PacketID(UInt16.random(in: 1...6, using: &random))!)))
        case 85..<90: connect(client) // takeover
        default: h.advance(milliseconds: Int64.random(in: 0...20_000, using: &random))
        }
    }

    mutating func connect(_ client: String) {
        let version = versions[client]!
        var properties = Properties()
        if version == .v5 {
            properties.sessionExpiryInterval = pick([0, 30, UInt32.max])
            properties.receiveMaximum = pick([1, 2, 5])
            properties.topicAliasMaximum = pick([nil, 2]) // outbound aliases, some connections
            properties.requestProblemInformation = pick([nil, 0])
        }
        let cleanStart = Int.random(in: 0..<4, using: &random) == 0
        let c = h.connect(client, version: version, cleanStart: cleanStart, keepAlive: pick([0, 10]),
                          will: Bool.random(using: &random) ? Will(topic: TopicName(unchecked: "a/b"), payload: [1],
                                                                  qos: .atLeastOnce, retain: false) : nil,
                          properties: properties)
        live[client] = c
        check(client, c)
    }

    mutating func publish(from c: ConnectionID) {
        counter += 1
        let qos = pick(QoS.allCases)
        let id = UInt16(counter % 200 + 1) - (Int.random(in: 0..<10, using: &random) == 0 ? 1 : 0) // sometimes a repeat
        h.publish(c, pick(topics), "m\(counter)", qos: qos, id: id, retain: Int.random(in: 0..<10, using: &random) == 0)
    }

    mutating func acknowledge(_ c: ConnectionID, client: String) {
        if var list = owed[client], !list.isEmpty, Int.random(in: 0..<10, using: &random) > 0 {
            list.shuffle(using: &random)
            owed[client] = []
            for packet in list where !h.closed(c) { h.send(c, packet) }
            return
        }
        let id = PacketID(UInt16.random(in: 1...8, using: &random))!
        let packet: Packet = pick([.puback(PubAck(packetID: id)), .pubrec(PubAck(packetID: id)), .pubcomp(PubAck(packetID: id))])
        h.send(c, packet)
    }

    /// Records what each live client received and checks the no-duplicate rule.
    mutating func check(_ client: String? = nil, _ connection: ConnectionID? = nil) {
        for (name, c) in live {
            for packet in h.take(c) { record(packet, client: name) }
        }
        problems += h.broker.invariantViolations()
    }

    mutating func record(_ packet: Packet, client: String) {
        switch packet {
        case .publish(let publish):
            guard let id = publish.packetID else { return }
            owed[client, default: []].append(publish.qos == .exactlyOnce ? .pubrec(PubAck(packetID: id)) : .puback(PubAck(packetID: id)))
            if publish.qos == .exactlyOnce && !publish.dup && !publish.retain,
               !seenQoS2[client, default: []].insert(publish.payload).inserted {
                problems.append("\(client) got QoS 2 \(String(decoding: publish.payload, as: UTF8.self)) twice")
            }
        case .pubrel(let ack): owed[client, default: []].append(.pubcomp(PubAck(packetID: ack.packetID)))
        case .pubrec(let ack): owed[client, default: []].append(.pubrel(PubAck(packetID: ack.packetID)))
        case .connect, .connack, .puback, .pubcomp, .subscribe, .suback, .unsubscribe, .unsuback, .pingreq, .pingresp,
             .disconnect, .auth:
            return
        }
    }
}

@Suite("Randomized event sequences")
struct FuzzTests {
    @Test("[v5 interp] seeded random events keep the broker's invariants", arguments: [1, 2, 3, 42, 1234] as [UInt64])
    func fuzz(seed: UInt64) {
        var fuzzer = Fuzzer(seed: seed)
        for _ in 0..<3000 {
            fuzzer.step()
            fuzzer.check()
            if !fuzzer.problems.isEmpty { break }
        }
        #expect(fuzzer.problems == [], "seed \(seed)")
        #expect(fuzzer.h.broker.statistics.messagesSent > 0)
        #expect(fuzzer.seenQoS2.values.map(\.count).reduce(0, +) > 30, "QoS 2 deliveries exercised")
    }
}
