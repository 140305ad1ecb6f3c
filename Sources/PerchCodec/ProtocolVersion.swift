/// The MQTT protocol levels Perch speaks on one listener.
///
/// The level byte of CONNECT selects it: 3 with protocol name `MQIsdp` (MQTT 3.1),
/// 4 with `MQTT` (3.1.1), 5 with `MQTT` (5.0). Everything after CONNECT on a connection
/// is decoded and encoded for that version.
public enum ProtocolVersion: UInt8, Sendable, Hashable, CaseIterable {
    case v31 = 3
    case v311 = 4
    case v5 = 5

    /// Whether packets of this version carry properties and reason codes (MQTT 5 only).
    @inlinable public var hasProperties: Bool { self == .v5 }
}
