import Glibc

/// The two output lines: one for people, one `RESULT key=value ...` line for scripts/bench.
extension Bench {
    func printReady() {
        emit("READY connections=\(readyCount) failed=\(failedCount) setup_ms=\((now - stats.setupStart) / 1_000_000)")
    }

    func printResult() {
        let seconds = Double(stats.measureEnd - stats.measureStart) / 1e9
        let cpu = Double(stats.cpuEnd &- stats.cpuStart) / 1e9 / seconds * 100
        let prefix = "label=\(options.label.isEmpty ? "-" : options.label) mode=\(options.mode.rawValue)"
        if options.mode == .connect {
            printConnects(prefix: prefix)
            return
        }
        if options.mode == .idle {
            print("perch-bench idle: \(readyCount) of \(options.connections) connections subscribed "
                  + "(\(failedCount) failed) in \((stats.setupEnd - stats.setupStart) / 1_000_000) ms, "
                  + "held \(format(seconds, 1)) s, \(stats.disconnects) dropped, bench cpu \(format(cpu, 1))%")
            emit("RESULT \(prefix) connections=\(options.connections) ready=\(readyCount) failed=\(failedCount) "
                 + "setup_ms=\((stats.setupEnd - stats.setupStart) / 1_000_000) disconnects=\(stats.disconnects) "
                 + "bench_cpu_pct=\(format(cpu, 1))")
            return
        }
        printTraffic(prefix: prefix, seconds: seconds, cpu: cpu)
    }

    private func printTraffic(prefix: String, seconds: Double, cpu: Double) {
        let recvRate = Double(stats.receivedInWindow) / seconds
        let sendRate = Double(stats.sentInWindow) / seconds
        let expected = self.expected
        let distinct = stats.received - stats.duplicates
        let lost = expected > distinct ? expected - distinct : 0
        let sent = publishers.reduce(UInt64(0)) { $0 + UInt64($1.sent) }
        let unexpected = publishers.reduce(0) { $0 + $1.unexpectedAcks }
        let l = stats.latency
        let (p50, p99, p999, maxUs) = (micro(l.value(atPercentile: 50)), micro(l.value(atPercentile: 99)),
                                       micro(l.value(atPercentile: 99.9)), micro(l.max))
        let shape = "\(options.mode.rawValue) qos\(options.qos.rawValue) mqtt\(options.version == .v5 ? "5" : "311") "
            + "\(publishers.count)x\(subscriberCount) \(options.payloadSize)B"
        print("perch-bench \(shape): recv \(format(recvRate, 0)) msg/s (sent \(format(sendRate, 0)) msg/s), "
              + "latency us p50 \(p50) p99 \(p99) p99.9 \(p999) max \(maxUs), "
              + "lost \(lost) of \(expected), dup \(stats.duplicates), bench cpu \(format(cpu, 1))%")
        emit("RESULT \(prefix) qos=\(options.qos.rawValue) mqtt=\(options.version == .v5 ? "5" : "311") "
             + "pubs=\(publishers.count) subs=\(subscriberCount) size=\(options.payloadSize) "
             + "rate=\(format(options.rate, 0)) window=\(options.window) seconds=\(format(seconds, 2)) "
             + "recv_rate=\(format(recvRate, 0)) send_rate=\(format(sendRate, 0)) "
             + "p50_us=\(p50) p99_us=\(p99) p999_us=\(p999) max_us=\(maxUs) samples=\(l.total) "
             + "sent=\(sent) expected=\(expected) received=\(stats.received) lost=\(lost) dup=\(stats.duplicates) "
             + "disconnects=\(stats.disconnects) anomalies=\(stats.anomalies + unexpected) "
             + "bench_cpu_pct=\(format(cpu, 1))")
    }

    /// Connect mode: connections per second over the whole run and the CONNACK latency.
    private func printConnects(prefix: String) {
        let seconds = Double(stats.setupEnd - stats.setupStart) / 1e9
        let rate = Double(readyCount) / max(seconds, 1e-9)
        let l = stats.latency
        print("perch-bench connect: \(readyCount) of \(options.connections) connected (\(failedCount) failed) in "
              + "\(format(seconds, 3)) s, \(format(rate, 0))/s, CONNACK latency us p50 \(micro(l.value(atPercentile: 50))) "
              + "p99 \(micro(l.value(atPercentile: 99)))")
        emit("RESULT \(prefix) connections=\(options.connections) ready=\(readyCount) failed=\(failedCount) "
             + "seconds=\(format(seconds, 3)) connect_rate=\(format(rate, 0)) "
             + "p50_us=\(micro(l.value(atPercentile: 50))) p99_us=\(micro(l.value(atPercentile: 99))) error=-")
    }

    /// Prints a setup failure as a RESULT line too, so the script can show it; returns false.
    func report(setupFailure: String) -> Bool {
        print("perch-bench: \(setupFailure)")
        emit("RESULT label=\(options.label.isEmpty ? "-" : options.label) mode=\(options.mode.rawValue) error=setup")
        return false
    }

    private func micro(_ nanoseconds: UInt64) -> String { format(Double(nanoseconds) / 1000, 1) }

    /// Prints a line and flushes stdout at once (the script watches for READY while we hold).
    func emit(_ line: String) {
        print(line)
        fflush(nil)  // all streams; `stdout` itself is a global Swift 6 refuses
    }
}

/// Fixed-point formatting without Foundation.
func format(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int64((abs(value) * scale).rounded())
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard digits > 0 else { return sign + String(scaled) }
    let whole = scaled / Int64(scale)
    var fraction = String(scaled % Int64(scale))
    while fraction.count < digits { fraction = "0" + fraction }
    return "\(sign)\(whole).\(fraction)"
}
