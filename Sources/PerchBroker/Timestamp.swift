/// A point on the broker's monotonic clock, in milliseconds. The core never reads a clock:
/// the transport passes `now` with every event, tests pass a virtual one.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int64
    @inlinable public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    @inlinable public static func seconds(_ s: Int64) -> Timestamp { Timestamp(milliseconds: s * 1000) }
    @inlinable public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }
    @inlinable public func adding(milliseconds ms: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds + ms) }
    @inlinable public func adding(seconds s: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds + s * 1000) }
    public var description: String { "\(milliseconds)ms" }
}
