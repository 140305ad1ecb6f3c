extension Properties {
    /// Every property, stored inline (the layout `Properties` had before it was boxed).
    struct Fields: Sendable, Hashable {
        var payloadFormatIndicator: UInt8?
        var messageExpiryInterval: UInt32?
        var contentType: String?
        var responseTopic: String?
        var correlationData: [UInt8]?
        var subscriptionIdentifiers: [UInt32] = []
        var sessionExpiryInterval: UInt32?
        var assignedClientIdentifier: String?
        var serverKeepAlive: UInt16?
        var authenticationMethod: String?
        var authenticationData: [UInt8]?
        var requestProblemInformation: UInt8?
        var willDelayInterval: UInt32?
        var requestResponseInformation: UInt8?
        var responseInformation: String?
        var serverReference: String?
        var reasonString: String?
        var receiveMaximum: UInt16?
        var topicAliasMaximum: UInt16?
        var topicAlias: UInt16?
        var maximumQoS: UInt8?
        var retainAvailable: UInt8?
        var userProperties: [UserProperty] = []
        var maximumPacketSize: UInt32?
        var wildcardSubscriptionAvailable: UInt8?
        var subscriptionIdentifierAvailable: UInt8?
        var sharedSubscriptionAvailable: UInt8?
    }

    /// The shared storage. Mutated only through `update`, which copies it first unless
    /// this `Properties` holds the only reference, so sharing is never observable.
    final class Box: @unchecked Sendable {
        var fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    /// Applies `change` to this value's own copy of the fields.
    mutating func update(_ change: (inout Fields) -> Void) {
        if box == nil {
            var fields = Fields()
            change(&fields)
            if fields != Fields() { box = Box(fields) } // clearing an absent property allocates nothing
            return
        } else if !isKnownUniquelyReferenced(&box) {
            box = Box(box!.fields)
        }
        change(&box!.fields)
    }

    public static func == (lhs: Properties, rhs: Properties) -> Bool {
        if lhs.box === rhs.box { return true }
        return (lhs.box?.fields ?? Fields()) == (rhs.box?.fields ?? Fields())
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(box?.fields ?? Fields())
    }
}
