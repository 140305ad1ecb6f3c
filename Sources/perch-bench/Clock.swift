import Glibc

/// Monotonic time and the process's own CPU use, without Foundation.
enum Clock {
    /// CLOCK_MONOTONIC in nanoseconds.
    static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// User plus system CPU time of this process in nanoseconds (getrusage).
    static func cpuNanoseconds() -> UInt64 {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func ns(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1_000 }
        return ns(usage.ru_utime) + ns(usage.ru_stime)
    }
}

/// The first bytes of every benchmark payload; the rest is filler.
///
///     0               8          12         16            size
///     +---------------+----------+----------+-- ... ------+
///     | send time ns  | publisher| sequence | 'x' filler  |
///     | (LE, mono)    | (LE u32) | (LE u32) |             |
///     +---------------+----------+----------+-- ... ------+
enum Payload {
    static let headerSize = 16

    static func write(into bytes: UnsafeMutableRawPointer, time: UInt64, publisher: UInt32, sequence: UInt32) {
        bytes.storeBytes(of: time.littleEndian, toByteOffset: 0, as: UInt64.self)
        bytes.storeBytes(of: publisher.littleEndian, toByteOffset: 8, as: UInt32.self)
        bytes.storeBytes(of: sequence.littleEndian, toByteOffset: 12, as: UInt32.self)
    }

    static func read(_ bytes: UnsafeRawPointer) -> (time: UInt64, publisher: UInt32, sequence: UInt32) {
        (UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
         UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
         UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
    }
}
