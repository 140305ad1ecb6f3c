import PerchBroker
import PerchCodec

extension Snapshot {
    /// Decodes a complete snapshot. Errors name `path` and the byte offset of the problem.
    package static func decode(_ bytes: [UInt8], path: String, clocks: Clocks) throws(StoreError) -> [Message] {
        var reader = SnapshotReader(bytes: bytes, path: path)
        let magicBytes = try reader.bytes(4, what: "header")
        guard magicBytes == magic[...] else { throw reader.corrupt(at: 0, "bad magic, not a Perch snapshot") }
        let fileVersion = try reader.integer(UInt16.self, what: "header")
        guard fileVersion == version else {
            throw reader.corrupt(at: 4, "unsupported snapshot version \(fileVersion)")
        }
        _ = try reader.integer(UInt16.self, what: "header")
        var messages: [Message] = []
        while true {
            let recordStart = reader.position
            let length = Int(try reader.integer(UInt32.self, what: "record header"))
            let crc = try reader.integer(UInt32.self, what: "record header")
            let bodyStart = reader.position
            let body = try reader.bytes(length, what: "record of \(length) bytes")
            guard CRC32.checksum(body) == crc else { throw reader.corrupt(at: recordStart, "record CRC mismatch") }
            var bodyReader = SnapshotReader(bytes: bytes, path: path, position: bodyStart, end: bodyStart + length)
            if try decodeRecord(&bodyReader, clocks: clocks, into: &messages, recordStart: recordStart) {
                guard reader.position == bytes.count else {
                    throw reader.corrupt(at: reader.position, "bytes after the end record")
                }
                return messages
            }
        }
    }

    /// Decodes one record body; returns true for the end record.
    static func decodeRecord(_ r: inout SnapshotReader, clocks: Clocks, into messages: inout [Message],
                             recordStart: Int) throws(StoreError) -> Bool {
        let kindByte = try r.integer(UInt8.self, what: "record kind")
        guard let kind = Kind(rawValue: kindByte) else {
            throw r.corrupt(at: recordStart, "unknown record kind \(kindByte)")
        }
        switch kind {
        case .end:
            let count = Int(try r.integer(UInt32.self, what: "end record"))
            guard count == messages.count else {
                throw r.corrupt(at: recordStart, "end record counts \(count) records, found \(messages.count)")
            }
        case .retained:
            messages.append(try decodeRetained(&r, clocks: clocks, recordStart: recordStart))
        }
        guard r.position == r.end else { throw r.corrupt(at: recordStart, "record longer than its content") }
        return kind == .end
    }

    static func decodeRetained(_ r: inout SnapshotReader, clocks: Clocks,
                               recordStart: Int) throws(StoreError) -> Message {
        let qosByte = try r.integer(UInt8.self, what: "qos")
        guard let qos = QoS(rawValue: qosByte) else { throw r.corrupt(at: recordStart, "bad QoS \(qosByte)") }
        let flags = try r.integer(UInt8.self, what: "flags")
        let topic = try r.string(what: "topic")
        guard !topic.isEmpty else { throw r.corrupt(at: recordStart, "empty topic") }
        let payloadLength = Int(try r.integer(UInt32.self, what: "payload length"))
        let payload = Array(try r.bytes(payloadLength, what: "payload"))
        var expiry: Timestamp?
        if flags & Flag.expiry != 0 {
            expiry = clocks.monotonic(wall: Int64(bitPattern: try r.integer(UInt64.self, what: "expiry")))
        }
        var p = Properties()
        if flags & Flag.payloadFormat != 0 { p.payloadFormatIndicator = try r.integer(UInt8.self, what: "format") }
        if flags & Flag.contentType != 0 { p.contentType = try r.string(what: "content type") }
        if flags & Flag.responseTopic != 0 { p.responseTopic = try r.string(what: "response topic") }
        if flags & Flag.correlationData != 0 {
            let n = Int(try r.integer(UInt16.self, what: "correlation data"))
            p.correlationData = Array(try r.bytes(n, what: "correlation data"))
        }
        let count = Int(try r.integer(UInt16.self, what: "user properties"))
        for _ in 0..<count {
            let name = try r.string(what: "user property")
            p.userProperties.append(UserProperty(name, try r.string(what: "user property")))
        }
        return Message(topic: TopicName(unchecked: topic), payload: payload, qos: qos, retain: true,
                       properties: p, expiry: expiry)
    }
}

/// Reads big-endian fields from a byte range, reporting absolute file offsets.
struct SnapshotReader {
    let bytes: [UInt8]
    let path: String
    var position: Int
    let end: Int

    init(bytes: [UInt8], path: String, position: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.path = path
        self.position = position
        self.end = end ?? bytes.count
    }

    func corrupt(at offset: Int, _ message: String) -> StoreError {
        StoreError(.corrupt, path: path, offset: offset, message)
    }

    mutating func bytes(_ count: Int, what: String) throws(StoreError) -> ArraySlice<UInt8> {
        guard count <= end - position else {
            if end == bytes.count {
                throw StoreError(.truncated, path: path, offset: position, "file ends inside \(what)")
            }
            throw corrupt(at: position, "\(what) runs past its record")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func integer<T: FixedWidthInteger>(_ type: T.Type, what: String) throws(StoreError) -> T {
        var value: T = 0
        for byte in try bytes(MemoryLayout<T>.size, what: what) { value = value << 8 | T(byte) }
        return value
    }

    mutating func string(what: String) throws(StoreError) -> String {
        let start = position
        let n = Int(try integer(UInt16.self, what: what))
        let raw = try bytes(n, what: what)
        guard let s = String(validating: raw, as: UTF8.self) else { throw corrupt(at: start, "\(what) is not UTF-8") }
        return s
    }
}
