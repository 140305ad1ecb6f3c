/// Strict UTF-8 validation for MQTT strings (v3.1.1 §1.5.3, v5 §1.5.4).
///
/// Accepts exactly the well-formed sequences of RFC 3629 / Unicode Table 3-7:
///
///     00..7F                       (U+0000 rejected, MQTT-1.5.3-2 / MQTT-1.5.4-2)
///     C2..DF 80..BF
///     E0 A0..BF 80..BF             (no overlong 3-byte forms)
///     E1..EC 80..BF 80..BF
///     ED 80..9F 80..BF             (no surrogates U+D800..U+DFFF)
///     EE..EF 80..BF 80..BF         (U+FEFF is kept as is, MQTT-1.5.3-3 / MQTT-1.5.4-3)
///     F0 90..BF 80..BF 80..BF      (no overlong 4-byte forms)
///     F1..F3 80..BF 80..BF 80..BF
///     F4 80..8F 80..BF 80..BF      (nothing above U+10FFFF)
///
/// Control characters and non-characters are allowed (the spec says MAY reject).
enum UTF8Validation {
    /// Whether `bytes[range]` is well-formed UTF-8 without U+0000.
    static func isValid(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            isValid(UnsafeBufferPointer(rebasing: buffer[range]))
        }
    }

    /// Whether `string` contains no U+0000 (a Swift String is always well-formed UTF-8).
    static func hasNoNull(_ string: String) -> Bool {
        !string.utf8.contains(0)
    }

    static func isValid(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = buffer.count
        while index < count {
            if index + 8 <= count, isPlainASCII(UnsafeRawPointer(buffer.baseAddress! + index).loadUnaligned(as: UInt64.self)) {
                index += 8
                continue
            }
            let lead = buffer[index]
            if lead < 0x80 {
                guard lead != 0 else { return false }  // [MQTT-1.5.3-2] [MQTT-1.5.4-2]
                index += 1
                continue
            }
            let length = sequenceLength(lead: lead, buffer: buffer, at: index)
            guard length > 0 else { return false }  // [MQTT-1.5.3-1] [MQTT-1.5.4-1]
            index += length
        }
        return true
    }

    /// Whether all 8 bytes of `word` are ASCII and none is 0 (the common case, checked
    /// a word at a time).
    private static func isPlainASCII(_ word: UInt64) -> Bool {
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let hasZeroByte = (word &- 0x0101_0101_0101_0101) & ~word & highBits != 0
        return word & highBits == 0 && !hasZeroByte
    }

    /// The length of the well-formed multi-byte sequence starting at `index`, or 0.
    private static func sequenceLength(lead: UInt8, buffer: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        // The allowed range of the second byte depends on the lead byte.
        let length: Int
        let secondLow: UInt8
        let secondHigh: UInt8
        switch lead {
        case 0xC2...0xDF: (length, secondLow, secondHigh) = (2, 0x80, 0xBF)
        case 0xE0: (length, secondLow, secondHigh) = (3, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, secondLow, secondHigh) = (3, 0x80, 0xBF)
        case 0xED: (length, secondLow, secondHigh) = (3, 0x80, 0x9F)
        case 0xF0: (length, secondLow, secondHigh) = (4, 0x90, 0xBF)
        case 0xF1...0xF3: (length, secondLow, secondHigh) = (4, 0x80, 0xBF)
        case 0xF4: (length, secondLow, secondHigh) = (4, 0x80, 0x8F)
        default: return 0
        }
        guard index + length <= buffer.count else { return 0 }
        let second = buffer[index + 1]
        guard second >= secondLow && second <= secondHigh else { return 0 }
        var offset = 2
        while offset < length {
            guard buffer[index + offset] & 0xC0 == 0x80 else { return 0 }
            offset += 1
        }
        return length
    }
}
