/// Walks the records of one file (snapshot or log) and sorts damage into its two kinds:
///
/// - a torn tail: a bad record after which no valid record follows (a crash cut the last
///   write): dropped with a warning, everything before it kept;
/// - corruption: a bad record with valid records after it. Valid data would be lost, so
///   the start stops naming the file and offset, unless `recover` is set: then the bad
///   bytes are skipped up to the next valid record and every valid record is kept.
struct RecordScanner {
    let bytes: [UInt8]
    let path: String
    let clocks: StoreRecord.Clocks
    let recover: Bool

    struct Result {
        var records: [StoreRecord] = []
        /// Where each record lies in the file (header included).
        var ranges: [Range<Int>] = []
        /// Bytes up to the end of the last valid record (where a torn tail starts).
        var validLength = StoreRecord.headerSize
        /// Where the torn record at `validLength` says it ends (when even its length is
        /// cut, where it would end were it as large as the largest record before it); nil
        /// when the file ends with a whole record.
        var tornRecordEnd: Int?
        var warnings: [String] = []
        var fileVersion: UInt16 = StoreRecord.version
    }

    /// Checks the header, then decodes every record.
    func scan(magic: [UInt8], acceptedVersions: ClosedRange<UInt16>) throws(StoreError) -> Result {
        var result = Result()
        guard bytes.count >= StoreRecord.headerSize else {
            throw StoreError(.truncated, path: path, offset: 0, "file ends inside its header")
        }
        guard Array(bytes[0..<4]) == magic else { throw StoreError(.corrupt, path: path, offset: 0, "bad magic") }
        result.fileVersion = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        guard acceptedVersions.contains(result.fileVersion) else {
            throw StoreError(.corrupt, path: path, offset: 4, "unsupported version \(result.fileVersion)")
        }
        var position = StoreRecord.headerSize
        while position < bytes.count {
            if let (record, next) = record(at: position, version: result.fileVersion) {
                result.records.append(record)
                result.ranges.append(position..<next)
                position = next
                result.validLength = next
                continue
            }
            guard let resume = nextValidRecord(after: position, version: result.fileVersion) else {
                // Cut inside its length: a record no larger than the largest one here.
                result.tornRecordEnd = bytes.count - position >= StoreRecord.recordHeaderSize
                    ? position + StoreRecord.recordHeaderSize + Int(readU32(position))
                    : position + (result.ranges.map(\.count).max() ?? StoreRecord.recordHeaderSize + 1)
                result.warnings.append("\(path): torn record at byte \(position) dropped "
                    + "(\(bytes.count - position) bytes at the end, a write the crash cut)")
                return result
            }
            guard recover else {
                throw StoreError(.corrupt, path: path, offset: position,
                                 "damaged record, valid records follow at byte \(resume) (start with --recover to keep them)")
            }
            result.warnings.append("\(path): skipped \(resume - position) damaged bytes at byte \(position)")
            position = resume
        }
        return result
    }

    /// The record at `offset` and the offset after it, when its length, CRC and body are valid.
    func record(at offset: Int, version: UInt16) -> (StoreRecord, Int)? {
        guard bytes.count - offset >= StoreRecord.recordHeaderSize else { return nil }
        let length = Int(readU32(offset))
        let crc = readU32(offset + 4)
        let bodyStart = offset + StoreRecord.recordHeaderSize
        guard length > 0, length <= bytes.count - bodyStart else { return nil }
        let end = bodyStart + length
        guard bytes.withUnsafeBytes({ CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[bodyStart..<end])) }) == crc
        else { return nil }
        var reader = RecordReader(bytes: bytes, path: path, recordStart: offset, position: bodyStart, end: end)
        guard let record = try? StoreRecord.decode(&reader, clocks: clocks, fileVersion: version) else { return nil }
        return (record, end)
    }

    /// The first offset after `offset` where a valid record starts, if any.
    func nextValidRecord(after offset: Int, version: UInt16) -> Int? {
        var candidate = offset + 1
        while candidate + StoreRecord.recordHeaderSize < bytes.count {
            if record(at: candidate, version: version) != nil { return candidate }
            candidate += 1
        }
        return nil
    }

    func readU32(_ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}
