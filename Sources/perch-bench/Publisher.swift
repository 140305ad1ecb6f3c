import PerchCodec

/// One publishing client: a pre-encoded PUBLISH it copies and patches per message
/// (packet id, timestamp, sequence), its in-flight window and its rate.
///
/// QoS 1: PUBLISH -> PUBACK frees the id. QoS 2: PUBLISH -> PUBREC, we answer PUBREL,
/// PUBCOMP frees the id. `packetIDs[id]` is 0 free, 1 awaiting PUBACK/PUBREC, 2 awaiting PUBCOMP.
struct Publisher {
    let index: UInt32
    var client = -1
    let qos: QoS
    private let template: [UInt8]
    private let packetIDOffset: Int
    private let payloadOffset: Int
    private var packetIDs: [UInt8]
    private var nextPacketID: UInt16 = 1
    private(set) var inflight = 0
    var window: Int
    private let interval: UInt64     // ns between messages; 0 = unlimited
    private var nextSend: UInt64 = 0
    /// Messages sent so far; the next message's sequence number.
    private(set) var sent: UInt32 = 0
    /// Acks for ids we did not have in flight (a broker bug if ever non-zero).
    private(set) var unexpectedAcks = 0

    init(index: Int, options: BenchOptions) {
        self.index = UInt32(index)
        qos = options.qos
        window = options.window
        interval = options.rate > 0 ? UInt64(1e9 / options.rate) : 0
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: options.payloadSize)
        let publish = Publish(qos: options.qos, topic: options.publishTopic(index),
                              packetID: options.qos == .atMostOnce ? nil : PacketID(1), payload: payload)
        var bytes: [UInt8] = []
        Packet.publish(publish).encode(version: options.version, into: &bytes)
        template = bytes
        payloadOffset = bytes.count - options.payloadSize
        // Packet id sits right before the payload; in 5.0 a zero Property Length follows it.
        packetIDOffset = payloadOffset - 2 - (options.version == .v5 ? 1 : 0)
        packetIDs = options.qos == .atMostOnce ? [] : [UInt8](repeating: 0, count: 65536)
    }

    /// Whether the window and the rate allow another message at `now`.
    func canSend(now: UInt64) -> Bool {
        (qos == .atMostOnce || inflight < window) && (interval == 0 || nextSend <= now)
    }

    /// The time of the next rate-limited send, nil when unlimited.
    var nextDue: UInt64? { interval == 0 ? nil : nextSend }

    mutating func start(at now: UInt64) { nextSend = now }

    /// Appends messages to `out` while allowed and `out` is below `limit` bytes; returns how many.
    mutating func produce(into out: inout [UInt8], now: UInt64, limit: Int) -> Int {
        var count = 0
        while out.count < limit && canSend(now: now) {
            let packetID = takePacketID()
            let base = out.count
            out.append(contentsOf: template)
            out.withUnsafeMutableBytes { bytes in
                let start = bytes.baseAddress! + base
                if qos != .atMostOnce {
                    start.storeBytes(of: packetID.bigEndian, toByteOffset: packetIDOffset, as: UInt16.self)
                }
                Payload.write(into: start + payloadOffset, time: now, publisher: index, sequence: sent)
            }
            sent &+= 1
            count += 1
            if interval > 0 { nextSend &+= interval }
        }
        return count
    }

    private mutating func takePacketID() -> UInt16 {
        guard qos != .atMostOnce else { return 0 }
        // The window is below 65535, so a free id exists; the scan is bounded by the window.
        while packetIDs[Int(nextPacketID)] != 0 { advance() }
        let id = nextPacketID
        packetIDs[Int(id)] = 1
        inflight += 1
        advance()
        return id
    }

    private mutating func advance() {
        nextPacketID = nextPacketID == UInt16.max ? 1 : nextPacketID + 1
    }

    /// PUBACK (QoS 1) or PUBCOMP (QoS 2): the id is free again.
    mutating func complete(_ id: UInt16, expecting state: UInt8) {
        guard qos != .atMostOnce, packetIDs[Int(id)] == state else { unexpectedAcks += 1; return }
        packetIDs[Int(id)] = 0
        inflight -= 1
    }

    /// PUBREC: returns true when the caller should answer PUBREL.
    mutating func received(_ id: UInt16) -> Bool {
        guard qos == .exactlyOnce, packetIDs[Int(id)] != 0 else { unexpectedAcks += 1; return false }
        packetIDs[Int(id)] = 2
        return true
    }
}
