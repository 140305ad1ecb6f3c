/// MQTT 5 properties (Table 2-4) of one packet, or of a Will.
///
/// One field per property; `nil` (or empty) means absent. The decoder checks that each
/// property is allowed in the packet it came in (§2.2.2.2: otherwise Malformed), that
/// single-valued properties appear at most once (otherwise Protocol Error), and the value
/// rules of chapter 3 (Receive Maximum 0, Maximum Packet Size 0, flags other than 0/1, ...).
/// The encoder writes only the fields that are set, in identifier order, with
/// `userProperties` in their original order.
public struct Properties: Sendable, Hashable {
    /// The fields live in one shared, copy-on-write box (nil while none is set): a
    /// `Properties` is one pointer, so packets, actions, Wills and sessions stay small and
    /// copying them costs one retain (see Properties+Storage.swift).
    var box: Box?
    public var payloadFormatIndicator: UInt8? { // 0x01
        get { box?.fields.payloadFormatIndicator }
        set { if box != nil || newValue != nil { update { $0.payloadFormatIndicator = newValue } } }
    }
    public var messageExpiryInterval: UInt32? { // 0x02
        get { box?.fields.messageExpiryInterval }
        set { if box != nil || newValue != nil { update { $0.messageExpiryInterval = newValue } } }
    }
    public var contentType: String? { // 0x03
        get { box?.fields.contentType }
        set { if box != nil || newValue != nil { update { $0.contentType = newValue } } }
    }
    public var responseTopic: String? { // 0x08
        get { box?.fields.responseTopic }
        set { if box != nil || newValue != nil { update { $0.responseTopic = newValue } } }
    }
    public var correlationData: [UInt8]? { // 0x09
        get { box?.fields.correlationData }
        set { if box != nil || newValue != nil { update { $0.correlationData = newValue } } }
    }
    /// 0x0B: at most one in SUBSCRIBE; any number in a server-to-client PUBLISH.
    public var subscriptionIdentifiers: [UInt32] { 
        get { box?.fields.subscriptionIdentifiers ?? [] }
        set { if box != nil || !newValue.isEmpty { update { $0.subscriptionIdentifiers = newValue } } }
    }
    public var sessionExpiryInterval: UInt32? { // 0x11
        get { box?.fields.sessionExpiryInterval }
        set { if box != nil || newValue != nil { update { $0.sessionExpiryInterval = newValue } } }
    }
    public var assignedClientIdentifier: String? { // 0x12
        get { box?.fields.assignedClientIdentifier }
        set { if box != nil || newValue != nil { update { $0.assignedClientIdentifier = newValue } } }
    }
    public var serverKeepAlive: UInt16? { // 0x13
        get { box?.fields.serverKeepAlive }
        set { if box != nil || newValue != nil { update { $0.serverKeepAlive = newValue } } }
    }
    public var authenticationMethod: String? { // 0x15
        get { box?.fields.authenticationMethod }
        set { if box != nil || newValue != nil { update { $0.authenticationMethod = newValue } } }
    }
    public var authenticationData: [UInt8]? { // 0x16
        get { box?.fields.authenticationData }
        set { if box != nil || newValue != nil { update { $0.authenticationData = newValue } } }
    }
    public var requestProblemInformation: UInt8? { // 0x17
        get { box?.fields.requestProblemInformation }
        set { if box != nil || newValue != nil { update { $0.requestProblemInformation = newValue } } }
    }
    public var willDelayInterval: UInt32? { // 0x18
        get { box?.fields.willDelayInterval }
        set { if box != nil || newValue != nil { update { $0.willDelayInterval = newValue } } }
    }
    public var requestResponseInformation: UInt8? { // 0x19
        get { box?.fields.requestResponseInformation }
        set { if box != nil || newValue != nil { update { $0.requestResponseInformation = newValue } } }
    }
    public var responseInformation: String? { // 0x1A
        get { box?.fields.responseInformation }
        set { if box != nil || newValue != nil { update { $0.responseInformation = newValue } } }
    }
    public var serverReference: String? { // 0x1C
        get { box?.fields.serverReference }
        set { if box != nil || newValue != nil { update { $0.serverReference = newValue } } }
    }
    public var reasonString: String? { // 0x1F
        get { box?.fields.reasonString }
        set { if box != nil || newValue != nil { update { $0.reasonString = newValue } } }
    }
    public var receiveMaximum: UInt16? { // 0x21
        get { box?.fields.receiveMaximum }
        set { if box != nil || newValue != nil { update { $0.receiveMaximum = newValue } } }
    }
    public var topicAliasMaximum: UInt16? { // 0x22
        get { box?.fields.topicAliasMaximum }
        set { if box != nil || newValue != nil { update { $0.topicAliasMaximum = newValue } } }
    }
    public var topicAlias: UInt16? { // 0x23
        get { box?.fields.topicAlias }
        set { if box != nil || newValue != nil { update { $0.topicAlias = newValue } } }
    }
    public var maximumQoS: UInt8? { // 0x24
        get { box?.fields.maximumQoS }
        set { if box != nil || newValue != nil { update { $0.maximumQoS = newValue } } }
    }
    public var retainAvailable: UInt8? { // 0x25
        get { box?.fields.retainAvailable }
        set { if box != nil || newValue != nil { update { $0.retainAvailable = newValue } } }
    }
    public var userProperties: [UserProperty] { // 0x26, in order, may repeat
        get { box?.fields.userProperties ?? [] }
        set { if box != nil || !newValue.isEmpty { update { $0.userProperties = newValue } } }
    }
    public var maximumPacketSize: UInt32? { // 0x27
        get { box?.fields.maximumPacketSize }
        set { if box != nil || newValue != nil { update { $0.maximumPacketSize = newValue } } }
    }
    public var wildcardSubscriptionAvailable: UInt8? { // 0x28
        get { box?.fields.wildcardSubscriptionAvailable }
        set { if box != nil || newValue != nil { update { $0.wildcardSubscriptionAvailable = newValue } } }
    }
    public var subscriptionIdentifierAvailable: UInt8? { // 0x29
        get { box?.fields.subscriptionIdentifierAvailable }
        set { if box != nil || newValue != nil { update { $0.subscriptionIdentifierAvailable = newValue } } }
    }
    public var sharedSubscriptionAvailable: UInt8? { // 0x2A
        get { box?.fields.sharedSubscriptionAvailable }
        set { if box != nil || newValue != nil { update { $0.sharedSubscriptionAvailable = newValue } } }
    }

    public init() {}

    /// True when no property is set (the encoder then writes a Property Length of 0).
    public var isEmpty: Bool { box.map { $0.fields == Fields() } ?? true }
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
