#if canImport(Glibc)
import Glibc
#endif
import PerchCodec

/// One simulated device: a non-blocking TCP connection, a persistent session, a Will that
/// marks it offline, and QoS 1 telemetry on `fleet/<id>/telemetry` at a fixed period,
/// each device at its own phase so that the fleet's messages are spread evenly in time.
final class Device {
    let id: String
    let fd: Int32
    let version: ProtocolVersion
    var decoder = FrameDecoder()
    var outbound: [UInt8] = []
    var connected = false
    /// How long after its CONNACK the device first publishes: its place in the period.
    let phase: Double
    var nextPublish = Double.infinity
    var sequence = 0
    var nextPacketID: UInt16 = 1
    /// Send time of each PUBLISH awaiting its PUBACK, by packet id.
    var inflight: [UInt16: Double] = [:]
    var acknowledged = 0
    var latencies: [Double] = []

    init(id: String, host: String, port: UInt16, version: ProtocolVersion, phase: Double) throws(FleetError) {
        self.id = id
        self.version = version
        self.phase = phase
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .system("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw .badAddress(host) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw .system("connect to \(host):\(port)") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var properties = Properties()
        if version == .v5 { properties.sessionExpiryInterval = 3600 } // the session outlives a dropped link
        let will = Will(topic: try Self.topic("fleet/\(id)/status"), payload: Array("offline".utf8), qos: .atLeastOnce, retain: true)
        Packet.connect(Connect(version: version, cleanStart: false, keepAlive: 30, clientID: id, will: will,
                               username: nil, password: nil, properties: properties)).encode(version: version, into: &outbound)
    }

    static func topic(_ text: String) throws(FleetError) -> TopicName {
        do { return try TopicName(validating: text) } catch { throw .badTopic(text) }
    }

    /// Queues the next telemetry reading (a QoS 1 PUBLISH), once the CONNACK is in.
    func publishReading(now: Double) {
        sequence += 1
        let id = nextPacketID
        nextPacketID = nextPacketID == UInt16.max ? 1 : nextPacketID + 1
        let reading = 20 + Double((sequence * 7 + self.id.utf8.count) % 50) / 10
        Packet.publish(Publish(qos: .atLeastOnce, topic: "fleet/\(self.id)/telemetry", packetID: PacketID(id),
                               payload: Array("\(sequence) \(reading)".utf8))).encode(version: version, into: &outbound)
        inflight[id] = now
    }

    /// Queues the retained `online` status (replacing the Will's `offline`).
    func announceOnline() {
        Packet.publish(Publish(qos: .atMostOnce, retain: true, topic: "fleet/\(id)/status",
                               payload: Array("online".utf8))).encode(version: version, into: &outbound)
    }

    /// Writes what the socket takes now.
    func flush() throws(FleetError) {
        while !outbound.isEmpty {
            let n = outbound.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            guard n > 0 else { throw .closed(id) }
            outbound.removeFirst(n)
        }
    }

    /// Reads and handles what arrived: the CONNACK, PUBACKs. `chunk` is the fleet's one
    /// read buffer.
    func read(now: Double, into chunk: inout [UInt8]) throws(FleetError) {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
        guard n > 0 else { throw .closed(id) }
        chunk.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        while true {
            let packet: Packet?
            do { packet = try decoder.nextPacket(version: version) } catch { throw .protocolError(id, "\(error)") }
            guard let packet else { return }
            switch packet {
            case .connack(let ack):
                guard !ack.reason.isFailure else { throw .refused(id, "\(ack.reason)") }
                connected = true
                nextPublish = now + phase
                announceOnline()
            case .puback(let ack):
                if let sent = inflight.removeValue(forKey: ack.packetID.rawValue) {
                    acknowledged += 1
                    latencies.append(now - sent)
                }
            default:
                break // no subscriptions: nothing else is expected
            }
        }
    }

    /// A clean goodbye: DISCONNECT (the broker discards the Will) and close.
    func disconnect() {
        outbound.removeAll()
        Packet.disconnect(Disconnect()).encode(version: version, into: &outbound)
        try? flush()
        close(fd)
    }
}

enum FleetError: Error, CustomStringConvertible {
    case system(String)
    case badAddress(String)
    case badTopic(String)
    case closed(String)
    case refused(String, String)
    case protocolError(String, String)

    var description: String {
        switch self {
        case .system(let what): "\(what): \(String(cString: strerror(errno)))"
        case .badAddress(let host): "\(host): not an IPv4 address"
        case .badTopic(let topic): "\(topic): not a valid topic name"
        case .closed(let id): "\(id): the broker closed the connection"
        case .refused(let id, let reason): "\(id): CONNACK \(reason)"
        case .protocolError(let id, let what): "\(id): \(what)"
        }
    }
}
