import PerchCodec

/// Reason Strings on what the broker sends, and sending non-PUBLISH packets fitted to what
/// a v5 client asked for (`Packet.fitted`: Request Problem Information, Maximum Packet Size).
extension Broker {
    /// Sends a packet other than PUBLISH to an accepted client, fitted to its v5 limits.
    func sendFitted(_ packet: Packet, to id: ConnectionID, session handle: Int) {
        guard sessions[handle].version == .v5 else {
            send(packet, to: id)
            return
        }
        send(packet.fitted(maximumPacketSize: sessions[handle].maximumPacketSize,
                           problemInformation: sessions[handle].problemInformation), to: id)
    }

    /// The properties of an ack with `reason`: a Reason String for a v5 failure.
    func diagnostics(_ reason: ReasonCode, session handle: Int) -> Properties {
        var properties = Properties()
        if reason.isFailure && sessions[handle].version == .v5 { properties.reasonString = explanation(of: reason) }
        return properties
    }

    /// A Reason String for the failure codes the broker sends, nil for the others.
    func explanation(of reason: ReasonCode) -> String? {
        if reason == .quotaExceeded { return "payload larger than the broker's message size limit" }
        if reason == .payloadFormatInvalid { return "Payload Format Indicator 1 but the payload is not UTF-8" }
        if reason == .packetIdentifierNotFound { return "packet identifier not found" }
        if reason == .topicFilterInvalid { return "invalid topic filter" }
        if reason == .notAuthorized { return "not authorized" }
        if reason == .badAuthenticationMethod { return "authentication method not supported" }
        if reason == .clientIdentifierNotValid { return "client identifier not valid" }
        if reason == .qosNotSupported { return "QoS not supported" }
        if reason == .retainNotSupported { return "retain not supported" }
        if reason == .useAnotherServer || reason == .serverMoved { return "use the server in Server Reference" }
        if reason == .receiveMaximumExceeded { return "more QoS 1/2 PUBLISH in flight than Receive Maximum" }
        if reason == .subscriptionIdentifiersNotSupported { return "subscription identifiers not supported" }
        if reason == .topicAliasInvalid { return "topic alias 0 or above Topic Alias Maximum" }
        return nil
    }
}
