import PerchCodec

/// Fitting what the broker sends to what a v5 client asked for: Request Problem Information
/// and Maximum Packet Size. Reason Strings and User Properties are diagnostics; they are
/// the first things to go.
///
///     Request Problem Information 0 ─▶ none on anything but PUBLISH, CONNACK, DISCONNECT
///     larger than Maximum Packet Size ─▶ drop Reason String ─▶ still larger: drop User Properties
extension Packet {
    /// This packet as it may go to a client with these limits (PUBLISH is never changed:
    /// its properties are the message's, and an oversized one is dropped whole).
    package func fitted(maximumPacketSize: UInt32, problemInformation: Bool) -> Packet {
        var packet = self
        if !problemInformation && !packet.carriesProblemInformationAlways {
            packet.editDiagnostics { $0.reasonString = nil; $0.userProperties = [] } // [v5 MQTT-3.1.2-29]
        }
        guard maximumPacketSize > 0 else { return packet }
        // [v5 MQTT-3.2.2-19] [v5 MQTT-3.4.2-2] [v5 MQTT-3.5.2-2] [v5 MQTT-3.6.2-2] [v5 MQTT-3.7.2-2]
        // [v5 MQTT-3.9.2-1] [v5 MQTT-3.11.2-1] [v5 MQTT-3.14.2-3] [v5 MQTT-3.15.2-2]
        if packet.encodedSize(version: .v5) > Int(maximumPacketSize) {
            packet.editDiagnostics { $0.reasonString = nil }
        }
        // [v5 MQTT-3.2.2-20] [v5 MQTT-3.4.2-3] [v5 MQTT-3.5.2-3] [v5 MQTT-3.6.2-3] [v5 MQTT-3.7.2-3]
        // [v5 MQTT-3.9.2-2] [v5 MQTT-3.11.2-2] [v5 MQTT-3.14.2-4] [v5 MQTT-3.15.2-3]
        if packet.encodedSize(version: .v5) > Int(maximumPacketSize) {
            packet.editDiagnostics { $0.userProperties = [] }
        }
        return packet
    }

    /// PUBLISH, CONNACK and DISCONNECT may carry diagnostics whatever the client asked.
    private var carriesProblemInformationAlways: Bool {
        switch self {
        case .publish, .connack, .disconnect: return true
        case .connect, .puback, .pubrec, .pubrel, .pubcomp, .subscribe, .suback, .unsubscribe, .unsuback,
             .pingreq, .pingresp, .auth:
            return false
        }
    }

    /// Applies `edit` to the properties of a packet the broker sends with diagnostics.
    private mutating func editDiagnostics(_ edit: (inout Properties) -> Void) {
        switch self {
        case .connack(var ack): edit(&ack.properties); self = .connack(ack)
        case .puback(var ack): edit(&ack.properties); self = .puback(ack)
        case .pubrec(var ack): edit(&ack.properties); self = .pubrec(ack)
        case .pubrel(var ack): edit(&ack.properties); self = .pubrel(ack)
        case .pubcomp(var ack): edit(&ack.properties); self = .pubcomp(ack)
        case .suback(var ack): edit(&ack.properties); self = .suback(ack)
        case .unsuback(var ack): edit(&ack.properties); self = .unsuback(ack)
        case .disconnect(var disconnect): edit(&disconnect.properties); self = .disconnect(disconnect)
        case .auth(var auth): edit(&auth.properties); self = .auth(auth)
        case .publish, .connect, .subscribe, .unsubscribe, .pingreq, .pingresp: return
        }
    }
}
