import PerchBroker
import PerchCodec

/// The snapshot file format (`perch.db`), version 1. All integers big-endian.
///
///     File    = Header Record* End
///     Header  = "PRCH" (50 52 43 48) | version u16 (= 1) | reserved u16 (= 0)      8 bytes
///     Record  = length u32 | crc u32 | body[length]       crc = CRC-32 (IEEE) of body
///     body    = kind u8 | ...
///       kind 0x01 retained message:
///               qos u8 | flags u8 | topic str | payload bin32
///               | expiry i64     if flags & 0x01  (wall clock, ms since the Unix epoch)
///               | format u8      if flags & 0x02  (Payload Format Indicator)
///               | content str    if flags & 0x04  (Content Type)
///               | response str   if flags & 0x08  (Response Topic)
///               | correlation bin16 if flags & 0x10 (Correlation Data)
///               | count u16 | (name str, value str) * count   (User Properties, in order)
///       kind 0x00 end: count u32 (the number of records before it); must be the last record
///     str     = length u16 | UTF-8 bytes          bin16 = length u16 | bytes
///     bin32   = length u32 | bytes
///
/// The end record makes a file cut at a record boundary detectable as truncated. Message
/// expiry is stored as a wall-clock deadline because the broker's monotonic clock restarts
/// with the process.
package enum Snapshot {
    package static let magic: [UInt8] = [0x50, 0x52, 0x43, 0x48]
    package static let version: UInt16 = 1
    package static let headerSize = 8
    package static let recordHeaderSize = 8

    package enum Kind: UInt8 {
        case end = 0x00
        case retained = 0x01
    }

    /// Flag bits of a retained-message record.
    package enum Flag {
        package static let expiry: UInt8 = 0x01
        package static let payloadFormat: UInt8 = 0x02
        package static let contentType: UInt8 = 0x04
        package static let responseTopic: UInt8 = 0x08
        package static let correlationData: UInt8 = 0x10
    }

    /// Converts between the broker's monotonic clock and the wall clock of the file.
    package struct Clocks {
        package var monotonic: Timestamp
        package var wallMilliseconds: Int64

        package init(monotonic: Timestamp, wallMilliseconds: Int64) {
            self.monotonic = monotonic
            self.wallMilliseconds = wallMilliseconds
        }

        func wall(_ t: Timestamp) -> Int64 { wallMilliseconds + (t.milliseconds - monotonic.milliseconds) }
        func monotonic(wall: Int64) -> Timestamp { monotonic.adding(milliseconds: wall - wallMilliseconds) }
    }
}
