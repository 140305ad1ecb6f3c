// DeviceFleet: N simulated devices publishing telemetry to an MQTT broker.
//
//   swift run DeviceFleet [--host 127.0.0.1] [--port 1883] [--devices 10] [--rate 1]
//                         [--readings 10] [--mqtt 5|311] [--crash]
//
// Each device connects with a persistent session and a retained Will (`fleet/<id>/status`
// = `offline`), announces `online`, then publishes `--readings` QoS 1 readings on
// `fleet/<id>/telemetry`, `--rate` a second, each device at its own phase so that the load is spread evenly
// in time, as real devices send. At the end each disconnects cleanly, or with `--crash`
// the process exits without a DISCONNECT so that the broker publishes the Wills. One
// thread, non-blocking sockets, poll(2).
#if canImport(Glibc)
import Glibc
#endif
import PerchCodec

func say(_ text: String, to descriptor: Int32 = 1) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
}

func seconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

var host = "127.0.0.1", port: UInt16 = 1883, count = 10, rate = 1.0, readings = 10
var version = ProtocolVersion.v5, crash = false
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    func value() -> String {
        guard let next = arguments.popFirst() else { say("DeviceFleet: \(flag) needs a value", to: 2); exit(2) }
        return next
    }
    switch flag {
    case "--host": host = value()
    case "--port": port = UInt16(value()) ?? 0
    case "--devices": count = Int(value()) ?? 0
    case "--rate": rate = Double(value()) ?? 0
    case "--readings": readings = Int(value()) ?? 0
    case "--mqtt": version = value() == "311" ? .v311 : .v5
    case "--crash": crash = true
    default:
        say("usage: DeviceFleet [--host H] [--port P] [--devices N] [--rate PER_SECOND] [--readings N] [--mqtt 5|311] [--crash]", to: 2)
        exit(2)
    }
}
guard port > 0, count > 0, rate > 0, readings > 0 else { say("DeviceFleet: port, devices, rate and readings must be positive", to: 2); exit(2) }

let start = seconds()
let period = 1 / rate
var devices: [Device] = []
do {
    for index in 0..<count {
        // Phase: device i first publishes i/N of a period after its CONNACK.
        devices.append(try Device(id: "fleet-\(index)", host: host, port: port, version: version,
                                  phase: period * Double(index) / Double(count)))
    }
} catch {
    say("DeviceFleet: \(error)", to: 2)
    exit(1)
}

var deadline = Double.infinity // once every reading is out: 10 s for the last PUBACKs
var chunk = [UInt8](repeating: 0, count: 16 * 1024)
do {
    while true {
        let now = seconds()
        if now > start + 10, let late = devices.first(where: { !$0.connected }) {
            throw FleetError.protocolError(late.id, "no CONNACK within 10 s")
        }
        let done = devices.allSatisfy { $0.sequence == readings }
        if done && devices.allSatisfy(\.inflight.isEmpty) || now >= deadline { break }
        if done && deadline == .infinity { deadline = now + 10 }
        var wake = min(deadline, now + 1)
        for device in devices where device.connected {
            while device.sequence < readings, device.nextPublish <= now {
                device.publishReading(now: now)
                device.nextPublish += period
            }
            if device.sequence < readings { wake = min(wake, device.nextPublish) }
        }
        for device in devices { try device.flush() }
        var descriptors = devices.map { pollfd(fd: $0.fd, events: Int16(POLLIN) | ($0.outbound.isEmpty ? 0 : Int16(POLLOUT)), revents: 0) }
        let timeout = Int32(max(0, wake - seconds()) * 1000)
        guard poll(&descriptors, nfds_t(descriptors.count), timeout) >= 0 || errno == EINTR else { throw FleetError.system("poll") }
        let after = seconds()
        for (index, descriptor) in descriptors.enumerated() where descriptor.revents & Int16(POLLIN | POLLERR | POLLHUP) != 0 {
            try devices[index].read(now: after, into: &chunk)
        }
    }
} catch {
    say("DeviceFleet: \(error)", to: 2)
    exit(1)
}

let sent = devices.reduce(0) { $0 + $1.sequence }
let acknowledged = devices.reduce(0) { $0 + $1.acknowledged }
let latencies = devices.flatMap(\.latencies).sorted()
func percentile(_ p: Double) -> String {
    guard !latencies.isEmpty else { return "-" }
    let value = latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1000
    return "\(Double(Int(value * 100)) / 100) ms"
}
say("DeviceFleet: \(count) devices, \(sent) readings sent, \(acknowledged) acknowledged, PUBACK latency p50 \(percentile(0.5)), p99 \(percentile(0.99))")
if crash { exit(acknowledged == sent ? 0 : 1) } // no DISCONNECT: the broker publishes the Wills
for device in devices { device.disconnect() }
exit(acknowledged == sent ? 0 : 1)
