import PerchCodec

/// `perch-bench --self-test`: checks the pieces whose mistakes would silently skew results
/// (histogram ranks, loss and duplicate counting, the patched PUBLISH template, the frame
/// scanner, number formatting). Prints each failure; returns true when all pass.
enum SelfTest {
    static func run() -> Bool {
        var failures: [String] = []
        func check(_ condition: Bool, _ what: String) { if !condition { failures.append(what) } }
        checkHistogram(check)
        checkSequences(check)
        checkPublisher(check, version: .v311, qos: .atLeastOnce)
        checkPublisher(check, version: .v5, qos: .exactlyOnce)
        checkPublisher(check, version: .v5, qos: .atMostOnce)
        check(format(12.345, 2) == "12.35" && format(-0.5, 1) == "-0.5" && format(7, 0) == "7", "format")
        for failure in failures { print("self-test FAILED: \(failure)") }
        print(failures.isEmpty ? "self-test ok" : "self-test: \(failures.count) failures")
        return failures.isEmpty
    }

    private static func checkHistogram(_ check: (Bool, String) -> Void) {
        var histogram = Histogram()
        for value in 1...1000 { histogram.record(UInt64(value) * 1000) }  // 1 us ... 1 ms
        let p50 = histogram.value(atPercentile: 50)
        let p99 = histogram.value(atPercentile: 99)
        check(p50 >= 500_000 && p50 <= 500_000 + 500_000 / 16, "histogram p50 \(p50) within 1/16 above 500 us")
        check(p99 >= 990_000 && p99 <= 990_000 + 990_000 / 16, "histogram p99 \(p99) within 1/16 above 990 us")
        check(histogram.value(atPercentile: 100) == 1_000_000 && histogram.max == 1_000_000, "histogram max exact")
        for value: UInt64 in [0, 31, 32, 33, 1000, 123_456_789, UInt64.max / 3] {
            let index = Histogram.index(of: value)
            check(Histogram.upperBound(of: index) >= value, "bucket \(index) holds \(value)")
            check(index == 0 || Histogram.upperBound(of: index - 1) < value, "bucket \(index) is the first for \(value)")
        }
        check(Histogram().value(atPercentile: 99) == 0, "empty histogram")
    }

    private static func checkSequences(_ check: (Bool, String) -> Void) {
        var stream = SequenceStream()
        for sequence: UInt32 in [0, 1, 2, 2, 5, 6, 3] { stream.record(sequence) }
        // 7 arrivals: 2 repeated and 3 arriving after 6 are steps backwards; 0,1,2,5,6 distinct.
        check(stream.received == 7 && stream.duplicates == 2 && stream.distinct == 5, "sequence counts")
        check(stream.next == 7, "sequence next")
    }

    /// Produces three messages from a template and decodes them with the codec.
    private static func checkPublisher(_ check: (Bool, String) -> Void, version: ProtocolVersion, qos: QoS) {
        var options = BenchOptions()
        (options.version, options.qos, options.payloadSize, options.window) = (version, qos, 40, 2)
        var publisher = Publisher(index: 7, options: options)
        var bytes: [UInt8] = []
        let count = publisher.produce(into: &bytes, now: 123_456, limit: 4096)
        check(qos == .atMostOnce ? count > 2 : count == 2, "the window (2) bounds QoS 1/2 production")
        var offset = 0
        var index: UInt32 = 0
        bytes.withUnsafeBytes { raw in
            while case let .frame(header, body) = FrameScanner.next(in: raw, from: offset) {
                let frame = Frame(header: header, body: Array(raw[body]))
                guard case let .publish(publish)? = try? Packet(frame: frame, version: version) else {
                    check(false, "template decodes (\(version), \(qos))")
                    return
                }
                let fields = publish.payload.withUnsafeBytes { Payload.read($0.baseAddress!) }
                check(fields == (123_456, 7, index) && publish.topic == "bench/7", "payload fields \(index)")
                check(qos == .atMostOnce || publish.packetID?.rawValue == UInt16(index + 1), "packet id \(index)")
                offset = body.upperBound
                index += 1
            }
        }
        check(offset == bytes.count && index == UInt32(count), "every produced frame scanned")
    }
}
