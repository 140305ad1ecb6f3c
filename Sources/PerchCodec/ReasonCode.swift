/// MQTT 5 reason codes (Table 2-6). 3.1.1 return codes are mapped from these where
/// a 3.1.1 packet needs one (see `ConnectReturnCode311`).
///
/// Codes below 0x80 mean success; 0x80 and above mean failure.
public enum ReasonCode: UInt8, Sendable, Hashable, CaseIterable {
    case success = 0x00                 // also Normal disconnection, Granted QoS 0
    case grantedQoS1 = 0x01
    case grantedQoS2 = 0x02
    case disconnectWithWill = 0x04
    case noMatchingSubscribers = 0x10
    case noSubscriptionExisted = 0x11
    case continueAuthentication = 0x18
    case reAuthenticate = 0x19
    case unspecifiedError = 0x80
    case malformedPacket = 0x81
    case protocolError = 0x82
    case implementationSpecificError = 0x83
    case unsupportedProtocolVersion = 0x84
    case clientIdentifierNotValid = 0x85
    case badUserNameOrPassword = 0x86
    case notAuthorized = 0x87
    case serverUnavailable = 0x88
    case serverBusy = 0x89
    case banned = 0x8A
    case serverShuttingDown = 0x8B
    case badAuthenticationMethod = 0x8C
    case keepAliveTimeout = 0x8D
    case sessionTakenOver = 0x8E
    case topicFilterInvalid = 0x8F
    case topicNameInvalid = 0x90
    case packetIdentifierInUse = 0x91
    case packetIdentifierNotFound = 0x92
    case receiveMaximumExceeded = 0x93
    case topicAliasInvalid = 0x94
    case packetTooLarge = 0x95
    case messageRateTooHigh = 0x96
    case quotaExceeded = 0x97
    case administrativeAction = 0x98
    case payloadFormatInvalid = 0x99
    case retainNotSupported = 0x9A
    case qosNotSupported = 0x9B
    case useAnotherServer = 0x9C
    case serverMoved = 0x9D
    case sharedSubscriptionsNotSupported = 0x9E
    case connectionRateExceeded = 0x9F
    case maximumConnectTime = 0xA0
    case subscriptionIdentifiersNotSupported = 0xA1
    case wildcardSubscriptionsNotSupported = 0xA2

    @inlinable public var isFailure: Bool { rawValue >= 0x80 }

    /// The SUBACK code granting `qos`.
    @inlinable public static func granted(_ qos: QoS) -> ReasonCode {
        switch qos {
        case .atMostOnce: return .success
        case .atLeastOnce: return .grantedQoS1
        case .exactlyOnce: return .grantedQoS2
        }
    }
}

/// MQTT 3.1 / 3.1.1 CONNACK return codes (Table 3.1).
public enum ConnectReturnCode311: UInt8, Sendable, Hashable {
    case accepted = 0x00
    case unacceptableProtocolVersion = 0x01
    case identifierRejected = 0x02
    case serverUnavailable = 0x03
    case badUserNameOrPassword = 0x04
    case notAuthorized = 0x05

    /// The 3.1.1 code for a CONNACK the broker decided with an MQTT 5 reason.
    /// Returns nil where 3.1.1 has no fitting code: the connection is then closed
    /// without CONNACK (MQTT-3.2.2-6).
    public init?(_ reason: ReasonCode) {
        switch reason {
        case .success: self = .accepted
        case .unsupportedProtocolVersion: self = .unacceptableProtocolVersion
        case .clientIdentifierNotValid: self = .identifierRejected
        case .serverUnavailable, .serverBusy, .serverShuttingDown, .connectionRateExceeded,
             .useAnotherServer, .serverMoved:
            self = .serverUnavailable
        case .badUserNameOrPassword, .badAuthenticationMethod: self = .badUserNameOrPassword
        case .notAuthorized, .banned: self = .notAuthorized
        default: return nil
        }
    }
}
