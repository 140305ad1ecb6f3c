/// Where the encoder writes: the caller's `[UInt8]`, or a `ByteCounter` that only counts.
///
/// Every packet body is written by one generic function; running it once with a counter
/// gives the size (for the Remaining Length and the single reservation), running it again
/// with the buffer writes the bytes. Both passes are specialised, nothing is boxed.
protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append<Bytes: Collection>(contentsOf bytes: Bytes) where Bytes.Element == UInt8
}

extension Array: ByteSink where Element == UInt8 {}

/// A sink that only counts bytes.
struct ByteCounter: ByteSink {
    var count = 0
    mutating func append(_ byte: UInt8) { count += 1 }
    mutating func append<Bytes: Collection>(contentsOf bytes: Bytes) where Bytes.Element == UInt8 {
        count += bytes.count
    }
}

extension ByteSink {
    mutating func writeUInt16(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func writeUInt32(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    /// Minimal encoding [v5 MQTT-1.5.5-1].
    mutating func writeVariableByteInteger(_ value: Int) {
        var rest = value
        repeat {
            var byte = UInt8(truncatingIfNeeded: rest & 0x7F)
            rest >>= 7
            if rest > 0 { byte |= 0x80 }
            append(byte)
        } while rest > 0
    }

    /// A UTF-8 Encoded String: two-byte length, then the bytes.
    mutating func writeString(_ string: String) {
        let utf8 = string.utf8
        writeUInt16(UInt16(truncatingIfNeeded: utf8.count))
        append(contentsOf: utf8)
    }

    /// Binary Data: two-byte length, then the bytes.
    mutating func writeBinary(_ bytes: [UInt8]) {
        writeUInt16(UInt16(truncatingIfNeeded: bytes.count))
        append(contentsOf: bytes)
    }
}
