/// Splits a topic name or filter into its levels once (MQTT §4.7.1.1: `/` separates
/// levels; empty levels are levels too).
@inline(__always)
func topicLevels(_ string: String) -> [String] {
    string.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
}

/// Whether a topic whose first level is `first` is a `$` topic, which filters starting
/// with a wildcard never match. // [MQTT-4.7.2-1]
@inline(__always)
func isDollarTopic(_ levels: [String]) -> Bool {
    levels.first?.utf8.first == UInt8(ascii: "$")
}
