/// A validated Topic Name: at least one character (MQTT-4.7.3-1), no U+0000
/// (MQTT-4.7.3-2), at most 65535 bytes (MQTT-4.7.3-3), no `+` or `#` (MQTT-4.7.1-1),
/// compared as received (MQTT-4.7.3-4). Construct with `TopicName(validating:)`.
public struct TopicName: Sendable, Hashable, CustomStringConvertible {
    public let string: String

    /// Internal: for callers that validated already (the decoder, the broker's restore).
    @usableFromInline package init(unchecked string: String) { self.string = string }

    public var description: String { string }
}

/// A validated Topic Filter (§4.7): non-empty, no U+0000, `#` only alone as the last level,
/// `+` only as a whole level. A shared subscription `$share/{ShareName}/{filter}` (v5 §4.8.2)
/// keeps its share name apart; `filter` is then the part that is matched.
public struct TopicFilter: Sendable, Hashable, CustomStringConvertible {
    /// The filter as the client sent it (UNSUBSCRIBE compares against this, MQTT-3.10.4-1).
    public let string: String
    /// The share name of a `$share/...` filter, or nil for an ordinary one.
    public let shareName: String?
    /// The part matched against topic names (equal to `string` unless shared).
    public let filter: String

    @usableFromInline package init(unchecked string: String, shareName: String?, filter: String) {
        self.string = string
        self.shareName = shareName
        self.filter = filter
    }

    public var description: String { string }
    /// Whether the matched part contains `+` or `#`.
    public var hasWildcards: Bool { filter.utf8.contains(UInt8(ascii: "+")) || filter.utf8.contains(UInt8(ascii: "#")) }
}

/// Topics compare as the bytes received, never normalised: `caf\u{E9}` and `cafe\u{301}`
/// are two topics. // [v5 MQTT-4.7.3-4] [v311 MQTT-4.7.3-4]
extension TopicName {
    @inlinable
    public static func == (lhs: TopicName, rhs: TopicName) -> Bool { lhs.string.bytesEqual(rhs.string) }

    @inlinable
    public func hash(into hasher: inout Hasher) { string.hashBytes(into: &hasher) }
}

/// Filters compare as sent, byte for byte (the share name and matched part follow from it).
/// // [v5 MQTT-4.7.3-4] [v311 MQTT-4.7.3-4]
extension TopicFilter {
    @inlinable
    public static func == (lhs: TopicFilter, rhs: TopicFilter) -> Bool { lhs.string.bytesEqual(rhs.string) }

    @inlinable
    public func hash(into hasher: inout Hasher) { string.hashBytes(into: &hasher) }
}
