/// Splits a topic name or filter into its levels once (MQTT §4.7.1.1: `/` separates
/// levels; empty levels are levels too).
///
/// Scans the UTF-8 bytes (a `/` byte is always the separator in valid UTF-8) rather than
/// `Character`s: `split` on a String walks grapheme clusters, a tenth of the cost here.
func topicLevels(_ string: String) -> [String] {
    var string = string
    return string.withUTF8 { bytes in
        var levels: [String] = []
        levels.reserveCapacity(4)
        var start = 0
        for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "/") {
            levels.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
            start = i + 1
        }
        levels.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self))
        return levels
    }
}

/// Whether a topic whose first level is `first` is a `$` topic, which filters starting
/// with a wildcard never match. // [MQTT-4.7.2-1]
@inline(__always)
func isDollarTopic(_ levels: [String]) -> Bool {
    levels.first?.utf8.first == UInt8(ascii: "$")
}
