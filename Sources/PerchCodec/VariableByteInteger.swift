/// The Variable Byte Integer of v5 §1.5.5 (v3.1.1 §2.2.3, Remaining Length): 7 bits per
/// byte, least significant group first, bit 7 set on every byte but the last; at most
/// 4 bytes, so at most 268,435,455.
///
///     0..127             -> 1 byte      16,384..2,097,151     -> 3 bytes
///     128..16,383        -> 2 bytes     2,097,152..268,435,455 -> 4 bytes
enum VariableByteInteger {
    static let maximum = 268_435_455

    /// The number of bytes the minimal encoding of `value` takes [v5 MQTT-1.5.5-1].
    static func size(of value: Int) -> Int {
        switch value {
        case ..<128: return 1
        case ..<16_384: return 2
        case ..<2_097_152: return 3
        default: return 4
        }
    }

    enum DecodeResult: Equatable {
        case value(Int, length: Int)
        case needMoreBytes
        case tooLong
    }

    /// Decodes the integer starting at `start` within `bytes[..<end]`.
    static func decode(_ bytes: [UInt8], from start: Int, end: Int) -> DecodeResult {
        bytes.withUnsafeBufferPointer { buffer in
            var value = 0
            var multiplier = 1
            var index = start
            while index < end {
                let byte = buffer[index]
                value += Int(byte & 0x7F) * multiplier
                index += 1
                if byte & 0x80 == 0 { return .value(value, length: index - start) }
                if index - start == 4 { return .tooLong }
                multiplier *= 128
            }
            return .needMoreBytes
        }
    }
}
