import PerchBroker
import PerchCodec

/// One record of the store's files (format: `FORMAT.md`). The snapshot holds one record per
/// live key and an end record; the log holds the changes of each commit, in order. Every
/// record is a complete image of its key, so replaying a record twice changes nothing.
package enum StoreRecord: Sendable {
    /// Set the retained message of its topic.
    case retain(Message)
    /// Remove the retained message of a topic.
    case clearRetained(String)
    /// Set the durable state of a persistent session.
    case session(DurableSession)
    /// Forget the session of a client id.
    case sessionEnded(String)
    /// Snapshot only, last: the number of records before it.
    case end(count: Int)

    package enum Kind: UInt8 {
        case end = 0x00
        case retain = 0x01
        case clearRetained = 0x02
        case session = 0x03
        case sessionEnded = 0x04
    }

    /// File headers: magic, then version u16 and reserved u16.
    package static let snapshotMagic: [UInt8] = Array("PRCH".utf8)
    package static let logMagic: [UInt8] = Array("PRCL".utf8)
    /// Version 2 adds sessions and the log; version 1 snapshots (retained only) still load.
    /// Version 3 adds the share origin of deliveries (`sharedDeliveryBit`); 2 still loads.
    package static let version: UInt16 = 3
    /// Bit 7 of a delivery's stage byte: its share filter and group follow its message.
    package static let sharedDeliveryBit: UInt8 = 0x80
    package static let headerSize = 8
    package static let recordHeaderSize = 8

    package static func header(magic: [UInt8]) -> [UInt8] {
        var out = magic
        out.appendBig(version)
        out.appendBig(UInt16(0))
        return out
    }

    /// Flag bits of an encoded message.
    package enum Flag {
        package static let expiry: UInt8 = 0x01
        package static let payloadFormat: UInt8 = 0x02
        package static let contentType: UInt8 = 0x04
        package static let responseTopic: UInt8 = 0x08
        package static let correlationData: UInt8 = 0x10
        package static let origin: UInt8 = 0x20
        package static let retain: UInt8 = 0x40
        package static let expiryInterval: UInt8 = 0x80
    }

    /// Converts between the broker's monotonic clock and the wall clock of the files.
    package struct Clocks: Sendable {
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

extension Array where Element == UInt8 {
    mutating func appendBig<T: FixedWidthInteger>(_ value: T) {
        var v = value.bigEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }

    /// A u16-length-prefixed UTF-8 string (MQTT strings are at most 65535 bytes).
    mutating func appendString(_ string: String) {
        let utf8 = string.utf8
        appendBig(UInt16(truncatingIfNeeded: utf8.count))
        append(contentsOf: utf8)
    }

    /// A u32-length-prefixed byte string.
    mutating func appendBinary(_ bytes: [UInt8]) {
        appendBig(UInt32(truncatingIfNeeded: bytes.count))
        append(contentsOf: bytes)
    }
}
