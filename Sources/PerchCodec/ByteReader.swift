/// Reads the fields of one packet body: a cursor over `[UInt8]` with an explicit index and
/// end. Running past `end` is Malformed (the body is shorter than its fields need, §2.1.4).
/// Sub-readers (`limited(to:)`) share the storage, nothing is copied until a field's value
/// (a String, a binary array, the payload) is built.
struct ByteReader {
    private var bytes: [UInt8]
    private(set) var index: Int
    let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.index = 0
        self.end = bytes.count
    }

    /// Reads `bytes[index..<end]` in place (shares the array, copies nothing).
    init(bytes: [UInt8], index: Int, end: Int) {
        self.bytes = bytes
        self.index = index
        self.end = end
    }

    var remaining: Int { end - index }
    var isAtEnd: Bool { index == end }

    private mutating func take(_ count: Int, _ what: StaticString) throws(DecodeError) -> Range<Int> {
        guard count <= remaining else { throw .malformed("truncated \(what)") }
        defer { index += count }
        return index..<(index + count)
    }

    mutating func readByte(_ what: StaticString) throws(DecodeError) -> UInt8 {
        bytes[try take(1, what).lowerBound]
    }

    mutating func readUInt16(_ what: StaticString) throws(DecodeError) -> UInt16 {
        let range = try take(2, what)
        return UInt16(bytes[range.lowerBound]) << 8 | UInt16(bytes[range.lowerBound + 1])
    }

    mutating func readUInt32(_ what: StaticString) throws(DecodeError) -> UInt32 {
        let range = try take(4, what)
        var value: UInt32 = 0
        for position in range { value = value << 8 | UInt32(bytes[position]) }
        return value
    }

    /// A Variable Byte Integer; more than 4 bytes or truncated is Malformed.
    mutating func readVariableByteInteger(_ what: StaticString) throws(DecodeError) -> Int {
        switch VariableByteInteger.decode(bytes, from: index, end: end) {
        case let .value(value, length):
            index += length
            return value
        case .needMoreBytes: throw .malformed("truncated \(what)")
        case .tooLong: throw .malformed("\(what) longer than 4 bytes")
        }
    }

    /// Binary Data (§1.5.6): a two-byte length and that many bytes.
    mutating func readBinary(_ what: StaticString) throws(DecodeError) -> [UInt8] {
        let length = Int(try readUInt16(what))
        return Array(bytes[try take(length, what)])
    }

    /// A UTF-8 Encoded String (v5 §1.5.4, v3.1.1 §1.5.3), strictly validated.
    mutating func readString(_ what: StaticString) throws(DecodeError) -> String {
        let length = Int(try readUInt16(what))
        let range = try take(length, what)
        guard UTF8Validation.isValid(bytes, range) else {
            throw .malformed("\(what) is not valid UTF-8 or contains U+0000")  // [MQTT-1.5.3-1] [MQTT-1.5.4-1]
        }
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    /// All bytes up to `end` (a PUBLISH payload). A large payload at the end of the
    /// array takes the array itself, its head removed in place when this reader holds the
    /// only reference (the framer let go of a buffer it consumed whole): a large message is
    /// then held once, not twice, while it is decoded. The reader is at its end afterwards.
    mutating func readRest() -> [UInt8] {
        defer { index = end }
        let count = end - index
        // Taken only when it wastes little: the payload keeps the array's capacity for as
        // long as the message lives (retained, queued).
        guard end == bytes.count, count >= ByteReader.takenPayload, bytes.capacity - count <= count / 8 else {
            return Array(bytes[index..<end])
        }
        var taken = bytes
        bytes = []
        taken.removeSubrange(0..<index)
        return taken
    }

    /// Payloads from this size on are taken rather than copied (`readRest`).
    static let takenPayload = 64 * 1024

    /// A reader over the next `count` bytes; this reader moves past them.
    mutating func limited(to count: Int, _ what: StaticString) throws(DecodeError) -> ByteReader {
        let range = try take(count, what)
        return ByteReader(bytes: bytes, index: range.lowerBound, end: range.upperBound)
    }

    /// Fails when bytes are left over: the body is longer than its fields (§2.1.4).
    func expectEnd(_ what: StaticString) throws(DecodeError) {
        guard isAtEnd else { throw .malformed("\(remaining) unexpected bytes after \(what)") }
    }
}
