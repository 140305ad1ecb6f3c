/// Validation of Topic Names and Topic Filters (§4.7, v5 §4.8.2). Comparisons stay
/// byte-exact: nothing is normalised [MQTT-4.7.3-4].
extension TopicName {
    /// Validates a Topic Name (§4.7). Throws 0x81 for U+0000 or more than 65535 bytes,
    /// 0x82 for wildcards or an empty name.
    public init(validating string: String) throws(DecodeError) {
        let utf8 = string.utf8
        guard !utf8.isEmpty else { throw .protocolError("empty topic name") }  // [MQTT-4.7.3-1]
        guard utf8.count <= 65_535 else { throw .malformed("topic name longer than 65535 bytes") }  // [MQTT-4.7.3-3]
        guard UTF8Validation.hasNoNull(string) else { throw .malformed("topic name contains U+0000") }  // [MQTT-4.7.3-2]
        guard TopicName.hasNoWildcards(utf8) else {
            throw .protocolError("wildcard in topic name")  // [MQTT-3.3.2-2] [MQTT-4.7.1-1]
        }
        self.init(unchecked: string)
    }

    static func hasNoWildcards<Bytes: Sequence<UInt8>>(_ utf8: Bytes) -> Bool {
        !utf8.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }
    }

    /// The same over a `String`'s bytes in place: every PUBLISH topic is checked, and
    /// stepping `String.UTF8View`'s iterator cost 4% of all instructions of a QoS 0
    /// fan-in (callgrind); a contiguous buffer scan is a tight loop.
    static func hasNoWildcards(_ utf8: String.UTF8View) -> Bool {
        let inPlace = utf8.withContiguousStorageIfAvailable { bytes in
            !bytes.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }
        }
        return inPlace ?? !utf8.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }
    }
}

extension TopicFilter {
    /// Validates a Topic Filter (§4.7, v5 §4.8.2 for `$share/`). Returns nil when invalid.
    ///
    ///     sport/tennis/+      ok        sport/#     ok        #        ok
    ///     sport+              no (+ not a whole level, MQTT-4.7.1-3)
    ///     sport/#/x  sport#   no (# not alone and last, MQTT-4.7.1-2)
    ///     $share/g/a/+        shareName "g", filter "a/+"
    ///     $share  $share/g  $share//a  $share/g+/a   no (MQTT-4.8.2-1, -2)
    public init?(validating string: String) {
        let utf8 = string.utf8
        guard !utf8.isEmpty, utf8.count <= 65_535, UTF8Validation.hasNoNull(string) else {
            return nil  // [MQTT-4.7.3-1] [MQTT-4.7.3-2] [MQTT-4.7.3-3]
        }
        // Byte-exact prefix test (no Unicode equivalence, MQTT-4.7.3-4).
        if utf8.starts(with: "$share".utf8) {
            let afterPrefix = utf8.index(utf8.startIndex, offsetBy: 6)
            if afterPrefix == utf8.endIndex { return nil }  // `$share` alone
            if utf8[afterPrefix] == UInt8(ascii: "/") {
                self.init(sharedString: string, rest: string[utf8.index(after: afterPrefix)...])
                return
            }
            // `$shareX...` is an ordinary filter that merely starts with the same letters.
        }
        guard TopicFilter.isValidFilter(Substring(string)) else { return nil }
        self.init(unchecked: string, shareName: nil, filter: string)
    }

    /// `{ShareName}/{filter}` after `$share/` [MQTT-4.8.2-1] [MQTT-4.8.2-2].
    private init?(sharedString string: String, rest: Substring) {
        let utf8 = rest.utf8
        guard let slash = utf8.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let shareName = rest[..<slash]
        let filter = rest[utf8.index(after: slash)...]
        guard !shareName.isEmpty, TopicName.hasNoWildcards(shareName.utf8),
              !filter.isEmpty, TopicFilter.isValidFilter(filter)
        else { return nil }
        self.init(unchecked: string, shareName: String(shareName), filter: String(filter))
    }

    /// Whether every level is literal, exactly `+`, or exactly `#` as the last level.
    static func isValidFilter(_ filter: Substring) -> Bool {
        let utf8 = filter.utf8
        var levelStart = utf8.startIndex
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            let next = utf8.index(after: index)
            let levelIsByteAlone = index == levelStart && (next == utf8.endIndex || utf8[next] == UInt8(ascii: "/"))
            switch byte {
            case UInt8(ascii: "/"): levelStart = next
            case UInt8(ascii: "+"): guard levelIsByteAlone else { return false }  // [MQTT-4.7.1-3]
            case UInt8(ascii: "#"): guard levelIsByteAlone && next == utf8.endIndex else { return false }  // [MQTT-4.7.1-2]
            default: break
            }
            index = next
        }
        return true
    }
}
