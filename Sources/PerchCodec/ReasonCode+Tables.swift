/// Which reason codes each v5 packet may carry (Tables 3-1 and 3-4 … 3-11). A decoded code
/// outside its packet's table is a Protocol Error (parsed, but not allowed there).
extension ReasonCode {
    /// CONNACK, Table 3-1.
    static let connAckCodes: [ReasonCode] = [
        .success, .unspecifiedError, .malformedPacket, .protocolError, .implementationSpecificError,
        .unsupportedProtocolVersion, .clientIdentifierNotValid, .badUserNameOrPassword, .notAuthorized,
        .serverUnavailable, .serverBusy, .banned, .badAuthenticationMethod, .topicNameInvalid, .packetTooLarge,
        .quotaExceeded, .payloadFormatInvalid, .retainNotSupported, .qosNotSupported, .useAnotherServer,
        .serverMoved, .connectionRateExceeded,
    ]
    /// PUBACK and PUBREC, Tables 3-4 and 3-5.
    static let pubAckCodes: [ReasonCode] = [
        .success, .noMatchingSubscribers, .unspecifiedError, .implementationSpecificError, .notAuthorized,
        .topicNameInvalid, .packetIdentifierInUse, .quotaExceeded, .payloadFormatInvalid,
    ]
    /// PUBREL and PUBCOMP, Tables 3-6 and 3-7.
    static let pubRelCodes: [ReasonCode] = [.success, .packetIdentifierNotFound]
    /// SUBACK, Table 3-8 [v5 MQTT-3.9.3-2].
    static let subAckCodes: [ReasonCode] = [
        .success, .grantedQoS1, .grantedQoS2, .unspecifiedError, .implementationSpecificError, .notAuthorized,
        .topicFilterInvalid, .packetIdentifierInUse, .quotaExceeded, .sharedSubscriptionsNotSupported,
        .subscriptionIdentifiersNotSupported, .wildcardSubscriptionsNotSupported,
    ]
    /// SUBACK of 3.1/3.1.1 [v311 MQTT-3.9.3-2].
    static let subAckCodes311: [ReasonCode] = [.success, .grantedQoS1, .grantedQoS2, .unspecifiedError]
    /// UNSUBACK, Table 3-9.
    static let unsubAckCodes: [ReasonCode] = [
        .success, .noSubscriptionExisted, .unspecifiedError, .implementationSpecificError, .notAuthorized,
        .topicFilterInvalid, .packetIdentifierInUse,
    ]
    /// DISCONNECT, Table 3-10 [v5 MQTT-3.14.2-1] (0x8C is not in it).
    static let disconnectCodes: [ReasonCode] = [
        .success, .disconnectWithWill, .unspecifiedError, .malformedPacket, .protocolError,
        .implementationSpecificError, .notAuthorized, .serverBusy, .serverShuttingDown, .keepAliveTimeout,
        .sessionTakenOver, .topicFilterInvalid, .topicNameInvalid, .receiveMaximumExceeded, .topicAliasInvalid,
        .packetTooLarge, .messageRateTooHigh, .quotaExceeded, .administrativeAction, .payloadFormatInvalid,
        .retainNotSupported, .qosNotSupported, .useAnotherServer, .serverMoved, .sharedSubscriptionsNotSupported,
        .connectionRateExceeded, .maximumConnectTime, .subscriptionIdentifiersNotSupported,
        .wildcardSubscriptionsNotSupported,
    ]
    /// AUTH, Table 3-11 [v5 MQTT-3.15.2-1].
    static let authCodes: [ReasonCode] = [.success, .continueAuthentication, .reAuthenticate]

    /// The 3.1/3.1.1 CONNACK return code decoded into the reason the broker would have used.
    init(_ code: ConnectReturnCode311) {
        switch code {
        case .accepted: self = .success
        case .unacceptableProtocolVersion: self = .unsupportedProtocolVersion
        case .identifierRejected: self = .clientIdentifierNotValid
        case .serverUnavailable: self = .serverUnavailable
        case .badUserNameOrPassword: self = .badUserNameOrPassword
        case .notAuthorized: self = .notAuthorized
        }
    }
}

extension ByteReader {
    /// A reason code byte that must be one of `allowed`; others are a Protocol Error.
    mutating func readReason(allowed: [ReasonCode], _ what: StaticString) throws(DecodeError) -> ReasonCode {
        let raw = try readByte(what)
        guard let reason = ReasonCode(rawValue: raw), allowed.contains(reason) else {
            throw .protocolError("\(what) 0x\(String(raw, radix: 16)) not allowed")
        }
        return reason
    }
}
