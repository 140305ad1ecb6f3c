import PerchCodec

/// Where each property may appear (the last column of Table 2-4).
enum PropertyPlace {
    case connect, will, connack, publish, pubAck, subscribe, suback, unsubscribe, unsuback, disconnect, auth

    var allowed: Set<UInt8> {
        switch self {
        case .connect: return [0x11, 0x15, 0x16, 0x17, 0x19, 0x21, 0x22, 0x26, 0x27]
        case .will: return [0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26]
        case .connack: return [0x11, 0x12, 0x13, 0x15, 0x16, 0x1A, 0x1C, 0x1F, 0x21, 0x22, 0x24, 0x25, 0x26, 0x27, 0x28,
                               0x29, 0x2A]
        case .publish: return [0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x23, 0x26]
        case .pubAck, .suback, .unsuback: return [0x1F, 0x26]
        case .subscribe: return [0x0B, 0x26]
        case .unsubscribe: return [0x26]
        case .disconnect: return [0x11, 0x1C, 0x1F, 0x26]
        case .auth: return [0x15, 0x16, 0x1F, 0x26]
        }
    }
}

extension RandomPacketGenerator {
    /// Random valid properties for `place` (empty for 3.1/3.1.1, which has none).
    mutating func properties(_ place: PropertyPlace) -> Properties {
        var properties = Properties()
        guard version == .v5 else { return properties }
        for id in PropertyID.allCases where place.allowed.contains(id.rawValue) && int(0...2) == 0 {
            set(id, in: &properties, place: place)
        }
        if properties.authenticationData != nil && properties.authenticationMethod == nil {
            properties.authenticationMethod = string(1...3)  // Data needs a Method (v5 §3.1.2.11.10)
        }
        return properties
    }

    private mutating func set(_ id: PropertyID, in properties: inout Properties, place: PropertyPlace) {
        switch id {
        case .payloadFormatIndicator: properties.payloadFormatIndicator = UInt8(int(0...1))
        case .messageExpiryInterval: properties.messageExpiryInterval = UInt32.random(in: 0...UInt32.max, using: &rng)
        case .contentType: properties.contentType = string()
        case .responseTopic: properties.responseTopic = string(1...4)
        case .correlationData: properties.correlationData = bytes()
        case .subscriptionIdentifier:
            let count = place == .publish ? int(1...3) : 1
            properties.subscriptionIdentifiers = (0..<count).map { _ in UInt32(pick([1, 127, 128, 16_384, 268_435_455])) }
        case .sessionExpiryInterval: properties.sessionExpiryInterval = UInt32(int(0...0xFFFF_FFFF))
        case .assignedClientIdentifier: properties.assignedClientIdentifier = string()
        case .serverKeepAlive: properties.serverKeepAlive = UInt16(int(0...0xFFFF))
        case .authenticationMethod: properties.authenticationMethod = string()
        case .authenticationData: properties.authenticationData = bytes()
        case .requestProblemInformation: properties.requestProblemInformation = UInt8(int(0...1))
        case .willDelayInterval: properties.willDelayInterval = UInt32(int(0...100_000))
        case .requestResponseInformation: properties.requestResponseInformation = UInt8(int(0...1))
        case .responseInformation: properties.responseInformation = string()
        case .serverReference: properties.serverReference = string()
        case .reasonString: properties.reasonString = string()
        case .receiveMaximum: properties.receiveMaximum = UInt16(int(1...0xFFFF))
        case .topicAliasMaximum: properties.topicAliasMaximum = UInt16(int(0...0xFFFF))
        case .topicAlias: properties.topicAlias = UInt16(int(1...0xFFFF))
        case .maximumQoS: properties.maximumQoS = UInt8(int(0...1))
        case .retainAvailable: properties.retainAvailable = UInt8(int(0...1))
        case .userProperty: properties.userProperties = (0..<int(1...3)).map { _ in UserProperty(string(), string()) }
        case .maximumPacketSize: properties.maximumPacketSize = UInt32(int(1...0xFFFF_FFFF))
        case .wildcardSubscriptionAvailable: properties.wildcardSubscriptionAvailable = UInt8(int(0...1))
        case .subscriptionIdentifierAvailable: properties.subscriptionIdentifierAvailable = UInt8(int(0...1))
        case .sharedSubscriptionAvailable: properties.sharedSubscriptionAvailable = UInt8(int(0...1))
        }
    }
}
