/// `perch.mark`: how many bytes of each live log are known durable, and whether a snapshot
/// was written: what lets start-up tell a torn tail from a log that was cut.
///
/// A crash can only lose what was not fsynced, so a log is at least as long as any length
/// this file ever recorded for it: it is rewritten after each log fsync (never ahead of
/// one) and is not fsynced itself, so after a power cut it may be older, never newer. A
/// log whose valid records end before its mark was cut or emptied (damage, named; `--recover`
/// keeps what is valid); bytes after the mark that do not decode are a torn tail. A missing
/// or unreadable mark proves nothing and checks nothing (a warning when unreadable).
///
///     magic "PRCM" | version u16 (= 1) | flags u8 (bit 0: a snapshot was written)
///     | count u16 | (log index u32 | durable length u64) * count | crc u32 (of all before)
struct StoreMark: Hashable {
    static let magic: [UInt8] = Array("PRCM".utf8)
    static let version: UInt16 = 1

    /// Durable bytes by log index.
    var lengths: [Int: Int] = [:]
    var snapshotWritten = false

    func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendBig(Self.version)
        bytes.append(snapshotWritten ? 1 : 0)
        bytes.appendBig(UInt16(lengths.count))
        for index in lengths.keys.sorted() {
            bytes.appendBig(UInt32(index))
            bytes.appendBig(UInt64(lengths[index]!))
        }
        bytes.appendBig(CRC32.checksum(bytes))
        return bytes
    }

    /// Decodes a mark; nil when it is not one (torn, foreign, another version).
    init?(decoding bytes: [UInt8]) {
        let fixed = Self.magic.count + 2 + 1 + 2
        guard bytes.count >= fixed + 4, Array(bytes[0..<4]) == Self.magic,
              Self.read(bytes, 4, 2) == UInt64(Self.version) else { return nil }
        let count = Int(Self.read(bytes, 7, 2))
        let end = fixed + count * 12
        guard bytes.count >= end + 4, CRC32.checksum(bytes[0..<end]) == UInt32(Self.read(bytes, end, 4)) else {
            return nil
        }
        snapshotWritten = bytes[6] & 1 != 0
        for entry in 0..<count {
            let at = fixed + entry * 12
            lengths[Int(Self.read(bytes, at, 4))] = Int(clamping: Self.read(bytes, at + 4, 8))
        }
    }

    init(lengths: [Int: Int], snapshotWritten: Bool) {
        self.lengths = lengths
        self.snapshotWritten = snapshotWritten
    }

    private static func read(_ bytes: [UInt8], _ at: Int, _ width: Int) -> UInt64 {
        bytes[at..<(at + width)].reduce(0) { $0 << 8 | UInt64($1) }
    }
}
