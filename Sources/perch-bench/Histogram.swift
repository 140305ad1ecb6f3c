/// A log-linear histogram of nanosecond values (the HdrHistogram idea, small).
///
/// Values below 2^subBits are counted exactly; above, each power of two is split into
/// 2^subBits linear buckets, so a bucket is at most 1/32 (about 3%) of its value wide.
///
///     value v, msb = position of the highest set bit, shift = msb - subBits
///     index = (msb - subBits + 1) << subBits  +  (v >> shift) & (2^subBits - 1)
///
/// Percentiles report the bucket's upper bound (never optimistic); max is exact.
struct Histogram {
    static let subBits = 5
    private static let subCount = 1 << subBits
    private var counts = [UInt64](repeating: 0, count: (64 - subBits + 1) << subBits)
    private(set) var total: UInt64 = 0
    private(set) var max: UInt64 = 0

    mutating func record(_ value: UInt64) {
        counts[Histogram.index(of: value)] += 1
        total += 1
        if value > max { max = value }
    }

    static func index(of value: UInt64) -> Int {
        guard value >= UInt64(subCount) else { return Int(value) }
        let msb = 63 - value.leadingZeroBitCount
        let shift = msb - subBits
        return ((msb - subBits + 1) << subBits) + Int((value >> UInt64(shift)) & UInt64(subCount - 1))
    }

    /// The largest value that falls into bucket `index`.
    static func upperBound(of index: Int) -> UInt64 {
        guard index >= subCount else { return UInt64(index) }
        let group = index >> subBits          // = msb - subBits + 1
        let shift = group - 1
        let sub = UInt64(index & (subCount - 1)) | UInt64(subCount)
        return ((sub + 1) << UInt64(shift)) - 1
    }

    /// The value at `percentile` (0...100): the upper bound of the bucket holding that rank,
    /// clamped to the exact maximum.
    func value(atPercentile percentile: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = Swift.max(1, UInt64((percentile / 100 * Double(total)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= rank { return Swift.min(Histogram.upperBound(of: index), max) }
        }
        return max
    }
}
