import PerchBroker
import PerchCodec

/// Where a fuzzer's choices come from: a seeded generator (the randomized unit test) or
/// the bytes libFuzzer hands a harness (`perch-fuzz broker`), one byte per choice.
public protocol FuzzSource: RandomNumberGenerator {
    /// Whether the choices have run out (a seeded generator never does).
    var isExhausted: Bool { get }
    /// `count` raw bytes, for wire input.
    mutating func bytes(_ count: Int) -> [UInt8]
}

extension FuzzSource {
    public var isExhausted: Bool { false }
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

extension SplitMix64: FuzzSource {}

/// Events for a `Broker` chosen by a `FuzzSource`, from six clients of both versions on a
/// virtual clock, checking after every step: no crash; no packet after close and every
/// packet valid on the wire (the harness traps); internal invariants (in-flight within the
/// window, queue drained while there is room and bounded by `max_queued_messages`); no
/// QoS 2 message delivered to a client more often than it has subscriptions that each get
/// a copy, except as a DUP redelivery. Besides typed
/// events it feeds wire bytes (golden packets with bytes overwritten, or raw bytes)
/// through each connection's `FrameDecoder`, as the transport does, and reports the
/// output drains the broker asked for (retained bursts at QoS 0 go out in small parts).
public struct BrokerFuzzer<Source: FuzzSource> {
    public var random: Source
    public let h: BrokerHarness
    var live: [String: ConnectionID] = [:]
    var framers: [ConnectionID: FrameDecoder] = [:]
    var versions: [String: ProtocolVersion] = [:]
    var counter = 0
    /// How often each client received each QoS 2 payload (first deliveries).
    public private(set) var seenQoS2: [String: [[UInt8]: Int]] = [:]
    /// The subscriptions of each client that get a copy of a message each, ever held: the
    /// share groups by name and "" for all its non-shared ones (those overlapping give one
    /// copy between them). Typed events keep a share-group member ("s…") to "g1" and the
    /// others to "", but a SUBSCRIBE on the wire can add any.
    var copyKeys: [String: Set<String>] = [:]
    /// Broken rules found so far; empty while all hold.
    public private(set) var problems: [String] = []
    /// Acks each client owes the broker, from what it received (sent in random order).
    var owed: [String: [Packet]] = [:]
    let clients = ["c0", "c1", "c2", "c3", "s0", "s1"]
    let topics = ["a", "a/b", "a/b/c", "$SYS/x", "b"]
    let filters = ["a", "a/+", "a/#", "#", "+/b", "b", "$SYS/#"]
    static var marker: [UInt8] { Array("fuzz-m".utf8) }

    public init(source: Source) {
        random = source
        var config = BrokerConfiguration()
        config.maxInflightMessages = 3
        config.maxQueuedMessages = 5
        config.receiveMaximum = 4
        config.retainedBurstBytes = 40 // a retained burst at QoS 0 goes out in parts
        h = BrokerHarness(configuration: config)
        h.drainsAtOnce = false // drains come as events
        for (index, client) in clients.enumerated() {
            versions[client] = index % 2 == 0 ? .v5 : .v311
            copyKeys[client] = [client.hasPrefix("s") ? "g1" : ""]
        }
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    /// One event, then the checks.
    public mutating func step() {
        event()
        check()
    }

    /// Steps until the source runs out, a rule breaks or `maxSteps` have run.
    public mutating func run(maxSteps: Int = 4096) {
        var steps = 0
        while !random.isExhausted, problems.isEmpty, steps < maxSteps {
            step()
            steps += 1
        }
    }

    mutating func event() {
        let client = pick(clients)
        guard let c = live[client], !h.closed(c) else {
            connect(client)
            return
        }
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<28: publish(from: c)
        case 28..<38:
            // Share-group members ("s…") hold only one shared filter, so each may get each
            // message at most once; the others hold ordinary subscriptions.
            let shared = client.hasPrefix("s")
            h.subscribe(c, shared ? "a/#" : pick(filters), qos: pick(QoS.allCases),
                        id: UInt16.random(in: 1...5, using: &random), share: shared ? "g1" : nil)
        case 38..<43:
            h.send(c, .unsubscribe(Unsubscribe(packetID: PacketID(1)!,
                                               filters: [client.hasPrefix("s") ? "$share/g1/a/#" : pick(filters)])))
        case 43..<66: acknowledge(c, client: client)
        case 66..<70: h.drop(c)
        case 70..<73: h.send(c, .disconnect(Disconnect()))
        case 73..<75: h.malformed(c, DecodeError(.malformedPacket, "fuzz"))
        case 75..<80: h.send(c, .pubrel(PubAck(packetID: PacketID(UInt16.random(in: 1...6, using: &random))!)))
        case 80..<84: connect(client) // takeover
        case 84..<88: wire(c, client: client)
        case 88..<90: h.drainAll()
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
    }

    mutating func publish(from c: ConnectionID) {
        counter += 1
        let qos = pick(QoS.allCases)
        let id = UInt16(counter % 200 + 1) - (Int.random(in: 0..<10, using: &random) == 0 ? 1 : 0) // sometimes a repeat
        h.publish(c, pick(topics), "fuzz-m\(counter)", qos: qos, id: id, retain: Int.random(in: 0..<10, using: &random) == 0)
    }

    /// Bytes on the connection's wire: a golden packet of its version with up to three
    /// bytes overwritten, or up to 32 raw bytes, decoded as the transport decodes them.
    mutating func wire(_ c: ConnectionID, client: String) {
        let version = versions[client]!
        var bytes: [UInt8]
        if Bool.random(using: &random) {
            let golden = GoldenPackets.all.filter { $0.version == version }
            bytes = pick(golden).bytes
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = random.bytes(1)[0]
            }
        } else {
            bytes = random.bytes(Int.random(in: 1...32, using: &random))
        }
        var framer = framers[c] ?? FrameDecoder()
        framer.append(bytes)
        defer { framers[c] = framer }
        while !h.closed(c) {
            do {
                guard let packet = try framer.nextPacket(version: version) else { return }
                if case .subscribe(let subscribe) = packet {
                    for case .valid(let subscription) in subscribe.entries {
                        copyKeys[client, default: []].insert(subscription.filter.shareName ?? "")
                    }
                }
                h.send(c, packet)
            } catch {
                h.malformed(c, error)
                return
            }
        }
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

    /// Records what each live client received, checks the no-duplicate rule, the broker's
    /// invariants and that its state stays bounded.
    mutating func check() {
        for (name, c) in live {
            for packet in h.take(c) { record(packet, client: name) }
        }
        problems += h.broker.invariantViolations()
        let statistics = h.broker.statistics
        if statistics.sessions > clients.count || statistics.connectedClients > clients.count {
            problems.append("\(statistics.sessions) sessions, \(statistics.connectedClients) connected from \(clients.count) client ids")
        }
    }

    mutating func record(_ packet: Packet, client: String) {
        switch packet {
        case .publish(let publish):
            guard let id = publish.packetID else { return }
            owed[client, default: []].append(publish.qos == .exactlyOnce ? .pubrec(PubAck(packetID: id)) : .puback(PubAck(packetID: id)))
            // Typed publishes carry "fuzz-m<counter>", each once; wire ones may repeat theirs.
            if publish.qos == .exactlyOnce && !publish.dup && !publish.retain && publish.payload.starts(with: Self.marker) {
                let copies = seenQoS2[client, default: [:]][publish.payload, default: 0] + 1
                seenQoS2[client, default: [:]][publish.payload] = copies
                if copies > copyKeys[client, default: []].count {
                    problems.append("\(client) got QoS 2 \(String(decoding: publish.payload, as: UTF8.self)) \(copies) times")
                }
            }
        case .pubrel(let ack): owed[client, default: []].append(.pubcomp(PubAck(packetID: ack.packetID)))
        case .pubrec(let ack): owed[client, default: []].append(.pubrel(PubAck(packetID: ack.packetID)))
        case .connect, .connack, .puback, .pubcomp, .subscribe, .suback, .unsubscribe, .unsuback, .pingreq, .pingresp,
             .disconnect, .auth:
            return
        }
    }
}
