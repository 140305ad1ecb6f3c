/// A non-zero 16-bit Packet Identifier (MQTT-2.3.1-1: zero is never valid).
public struct PacketID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: UInt16

    /// Returns nil for zero, which no packet may carry.
    @inlinable public init?(_ rawValue: UInt16) {
        guard rawValue != 0 else { return nil }
        self.rawValue = rawValue
    }

    @inlinable public static func < (lhs: PacketID, rhs: PacketID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
