/// A `String` compared and hashed by its UTF-8 bytes, with no Unicode normalisation.
///
/// Swift's `String` equality and hashing follow canonical equivalence: `"caf\u{E9}"`
/// (a precomposed é) equals `"cafe\u{301}"` (an e and a combining acute accent). MQTT
/// compares topic names, topic filters, client identifiers and user names as the bytes
/// received [v5 MQTT-4.7.3-4] [v311 MQTT-4.7.3-4]: those two are different topics,
/// different sessions and different users. Perch keys every dictionary and set of such
/// strings by `ExactString`, and `TopicName` / `TopicFilter` compare the same way.
public struct ExactString: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let string: String

    public init(_ string: String) { self.string = string }

    public init(stringLiteral value: String) { self.string = value }

    public var description: String { string }

    @inlinable
    public static func == (lhs: ExactString, rhs: ExactString) -> Bool { lhs.string.bytesEqual(rhs.string) }

    @inlinable
    public func hash(into hasher: inout Hasher) { string.hashBytes(into: &hasher) }

    /// Byte order (UTF-8 byte order is code point order), for stable listings.
    public static func < (lhs: ExactString, rhs: ExactString) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }
}

extension String {
    /// Whether two strings hold the same UTF-8 bytes (MQTT's comparison, MQTT-4.7.3-4),
    /// unlike `==`, which treats canonically equivalent strings as equal.
    @inlinable
    package func bytesEqual(_ other: String) -> Bool {
        let lhs = utf8, rhs = other.utf8
        guard lhs.count == rhs.count else { return false }
        let fast = lhs.withContiguousStorageIfAvailable { a in
            rhs.withContiguousStorageIfAvailable { b in a.elementsEqual(b) }
        }
        return (fast ?? nil) ?? lhs.elementsEqual(rhs)
    }

    /// Feeds the string's UTF-8 bytes to `hasher` (the hash that goes with `bytesEqual`).
    @inlinable
    package func hashBytes(into hasher: inout Hasher) {
        let done: Void? = utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil { for byte in utf8 { hasher.combine(byte) } }
        hasher.combine(utf8.count)
    }
}
