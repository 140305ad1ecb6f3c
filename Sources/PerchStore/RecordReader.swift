/// Reads big-endian fields from one record body, reporting absolute file offsets.
struct RecordReader {
    let bytes: [UInt8]
    let path: String
    /// Where the record starts (errors point there).
    let recordStart: Int
    var position: Int
    let end: Int

    func corrupt(_ message: String) -> StoreError {
        StoreError(.corrupt, path: path, offset: recordStart, message)
    }

    mutating func bytes(_ count: Int, what: String) throws(StoreError) -> ArraySlice<UInt8> {
        guard count <= end - position else { throw corrupt("\(what) runs past its record") }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func integer<T: FixedWidthInteger>(_ type: T.Type, what: String) throws(StoreError) -> T {
        var value: T = 0
        for byte in try bytes(MemoryLayout<T>.size, what: what) { value = value << 8 | T(byte) }
        return value
    }

    mutating func string(what: String) throws(StoreError) -> String {
        let n = Int(try integer(UInt16.self, what: what))
        let raw = try bytes(n, what: what)
        guard let s = String(validating: raw, as: UTF8.self) else { throw corrupt("\(what) is not UTF-8") }
        return s
    }

    mutating func binary(what: String) throws(StoreError) -> [UInt8] {
        let n = Int(try integer(UInt32.self, what: what))
        return Array(try bytes(n, what: what))
    }

    mutating func wall(what: String) throws(StoreError) -> Int64 {
        Int64(bitPattern: try integer(UInt64.self, what: what))
    }
}
