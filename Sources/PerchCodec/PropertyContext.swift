/// The packet (or the Will) a property block belongs to: the last column of Table 2-4
/// decides which identifiers may appear there.
enum PropertyContext: Sendable {
    case connect, will, connack, publish, pubAck, subscribe, subAck, unsubscribe, unsubAck, disconnect, auth
}

extension PropertyID {
    /// Whether the identifier may appear in `context` (Table 2-4). Anything else is
    /// Malformed (§2.2.2.2).
    func isAllowed(in context: PropertyContext) -> Bool {
        switch self {
        case .payloadFormatIndicator, .messageExpiryInterval, .contentType, .responseTopic, .correlationData:
            return context == .publish || context == .will
        case .subscriptionIdentifier:
            return context == .publish || context == .subscribe
        case .sessionExpiryInterval:
            return context == .connect || context == .connack || context == .disconnect
        case .assignedClientIdentifier, .serverKeepAlive, .responseInformation, .maximumQoS, .retainAvailable,
             .wildcardSubscriptionAvailable, .subscriptionIdentifierAvailable, .sharedSubscriptionAvailable:
            return context == .connack
        case .authenticationMethod, .authenticationData:
            return context == .connect || context == .connack || context == .auth
        case .requestProblemInformation, .requestResponseInformation:
            return context == .connect
        case .willDelayInterval:
            return context == .will
        case .serverReference:
            return context == .connack || context == .disconnect
        case .reasonString:
            return context != .connect && context != .will && context != .publish
                && context != .subscribe && context != .unsubscribe
        case .receiveMaximum, .topicAliasMaximum, .maximumPacketSize:
            return context == .connect || context == .connack
        case .topicAlias:
            return context == .publish
        case .userProperty:
            return true
        }
    }

    /// Whether the identifier may appear more than once in `context`: User Property
    /// anywhere, Subscription Identifier in a (server-to-client) PUBLISH. Any other
    /// repeat is a Protocol Error (chapter 3, per property).
    func mayRepeat(in context: PropertyContext) -> Bool {
        self == .userProperty || (self == .subscriptionIdentifier && context == .publish)
    }
}
