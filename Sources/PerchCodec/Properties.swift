/// MQTT 5 properties (Table 2-4) of one packet, or of a Will.
///
/// One field per property; `nil` (or empty) means absent. The decoder checks that each
/// property is allowed in the packet it came in (§2.2.2.2: otherwise Malformed), that
/// single-valued properties appear at most once (otherwise Protocol Error), and the value
/// rules of chapter 3 (Receive Maximum 0, Maximum Packet Size 0, flags other than 0/1, ...).
/// The encoder writes only the fields that are set, in identifier order, with
/// `userProperties` in their original order.
public struct Properties: Sendable, Hashable {
    public var payloadFormatIndicator: UInt8?          // 0x01
    public var messageExpiryInterval: UInt32?           // 0x02
    public var contentType: String?                     // 0x03
    public var responseTopic: String?                   // 0x08
    public var correlationData: [UInt8]?                // 0x09
    /// 0x0B: at most one in SUBSCRIBE; any number in a server-to-client PUBLISH.
    public var subscriptionIdentifiers: [UInt32]
    public var sessionExpiryInterval: UInt32?           // 0x11
    public var assignedClientIdentifier: String?        // 0x12
    public var serverKeepAlive: UInt16?                 // 0x13
    public var authenticationMethod: String?            // 0x15
    public var authenticationData: [UInt8]?             // 0x16
    public var requestProblemInformation: UInt8?        // 0x17
    public var willDelayInterval: UInt32?               // 0x18
    public var requestResponseInformation: UInt8?       // 0x19
    public var responseInformation: String?             // 0x1A
    public var serverReference: String?                 // 0x1C
    public var reasonString: String?                    // 0x1F
    public var receiveMaximum: UInt16?                  // 0x21
    public var topicAliasMaximum: UInt16?               // 0x22
    public var topicAlias: UInt16?                      // 0x23
    public var maximumQoS: UInt8?                       // 0x24
    public var retainAvailable: UInt8?                  // 0x25
    public var userProperties: [UserProperty]           // 0x26, in order, may repeat
    public var maximumPacketSize: UInt32?               // 0x27
    public var wildcardSubscriptionAvailable: UInt8?    // 0x28
    public var subscriptionIdentifierAvailable: UInt8?  // 0x29
    public var sharedSubscriptionAvailable: UInt8?      // 0x2A

    public init() {
        subscriptionIdentifiers = []
        userProperties = []
    }

    /// True when no property is set (the encoder then writes a Property Length of 0).
    public var isEmpty: Bool { self == Properties() }
}

/// One User Property (0x26): a UTF-8 string pair, kept in order, may repeat.
public struct UserProperty: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The identifiers of Table 2-4, used by the decoder and encoder.
public enum PropertyID: UInt8, Sendable, CaseIterable {
    case payloadFormatIndicator = 0x01
    case messageExpiryInterval = 0x02
    case contentType = 0x03
    case responseTopic = 0x08
    case correlationData = 0x09
    case subscriptionIdentifier = 0x0B
    case sessionExpiryInterval = 0x11
    case assignedClientIdentifier = 0x12
    case serverKeepAlive = 0x13
    case authenticationMethod = 0x15
    case authenticationData = 0x16
    case requestProblemInformation = 0x17
    case willDelayInterval = 0x18
    case requestResponseInformation = 0x19
    case responseInformation = 0x1A
    case serverReference = 0x1C
    case reasonString = 0x1F
    case receiveMaximum = 0x21
    case topicAliasMaximum = 0x22
    case topicAlias = 0x23
    case maximumQoS = 0x24
    case retainAvailable = 0x25
    case userProperty = 0x26
    case maximumPacketSize = 0x27
    case wildcardSubscriptionAvailable = 0x28
    case subscriptionIdentifierAvailable = 0x29
    case sharedSubscriptionAvailable = 0x2A
}
