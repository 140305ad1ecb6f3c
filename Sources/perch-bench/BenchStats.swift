/// What the run measured: times of the phases, counts and the latency histogram.
struct BenchStats {
    var setupStart: UInt64 = 0
    var setupEnd: UInt64 = 0
    var measureStart: UInt64 = .max
    var measureEnd: UInt64 = .max
    var drainStart: UInt64 = 0
    var cpuStart: UInt64 = 0
    var cpuEnd: UInt64 = 0
    var lastReceive: UInt64 = 0
    var received: UInt64 = 0
    var duplicates: UInt64 = 0
    var receivedInWindow: UInt64 = 0
    var sentInWindow: UInt64 = 0
    var latency = Histogram()
    /// Connections that closed or failed after setup.
    var disconnects = 0
    /// Frames we could not make sense of (malformed, unexpected type).
    var anomalies = 0
}
