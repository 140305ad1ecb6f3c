/// Encoding a v5 property block: Property Length, then every set property in identifier
/// order, User Properties in their original order, each Subscription Identifier written.
extension Properties {
    /// Writes Property Length and the properties.
    func write<Sink: ByteSink>(to sink: inout Sink) {
        var counter = ByteCounter()
        writeContent(to: &counter)
        sink.writeVariableByteInteger(counter.count)
        writeContent(to: &sink)
    }

    private func writeContent<Sink: ByteSink>(to sink: inout Sink) {
        sink.writeByte(.payloadFormatIndicator, payloadFormatIndicator)
        sink.writeUInt32(.messageExpiryInterval, messageExpiryInterval)
        sink.writeString(.contentType, contentType)
        sink.writeString(.responseTopic, responseTopic)
        sink.writeBinary(.correlationData, correlationData)
        for identifier in subscriptionIdentifiers {
            sink.append(PropertyID.subscriptionIdentifier.rawValue)
            sink.writeVariableByteInteger(Int(identifier))
        }
        sink.writeUInt32(.sessionExpiryInterval, sessionExpiryInterval)
        sink.writeString(.assignedClientIdentifier, assignedClientIdentifier)
        sink.writeUInt16(.serverKeepAlive, serverKeepAlive)
        sink.writeString(.authenticationMethod, authenticationMethod)
        sink.writeBinary(.authenticationData, authenticationData)
        sink.writeByte(.requestProblemInformation, requestProblemInformation)
        sink.writeUInt32(.willDelayInterval, willDelayInterval)
        sink.writeByte(.requestResponseInformation, requestResponseInformation)
        sink.writeString(.responseInformation, responseInformation)
        sink.writeString(.serverReference, serverReference)
        sink.writeString(.reasonString, reasonString)
        sink.writeUInt16(.receiveMaximum, receiveMaximum)
        sink.writeUInt16(.topicAliasMaximum, topicAliasMaximum)
        sink.writeUInt16(.topicAlias, topicAlias)
        sink.writeByte(.maximumQoS, maximumQoS)
        sink.writeByte(.retainAvailable, retainAvailable)
        for property in userProperties {
            sink.append(PropertyID.userProperty.rawValue)
            sink.writeString(property.name)
            sink.writeString(property.value)
        }
        sink.writeUInt32(.maximumPacketSize, maximumPacketSize)
        sink.writeByte(.wildcardSubscriptionAvailable, wildcardSubscriptionAvailable)
        sink.writeByte(.subscriptionIdentifierAvailable, subscriptionIdentifierAvailable)
        sink.writeByte(.sharedSubscriptionAvailable, sharedSubscriptionAvailable)
    }
}

extension ByteSink {
    /// Writes the identifier and the value of a property that is set; nothing otherwise.
    private mutating func write<Value>(_ id: PropertyID, _ value: Value?, _ writeValue: (inout Self, Value) -> Void) {
        guard let value else { return }
        append(id.rawValue)
        writeValue(&self, value)
    }

    fileprivate mutating func writeByte(_ id: PropertyID, _ value: UInt8?) { write(id, value) { $0.append($1) } }
    fileprivate mutating func writeUInt16(_ id: PropertyID, _ value: UInt16?) { write(id, value) { $0.writeUInt16($1) } }
    fileprivate mutating func writeUInt32(_ id: PropertyID, _ value: UInt32?) { write(id, value) { $0.writeUInt32($1) } }
    fileprivate mutating func writeString(_ id: PropertyID, _ value: String?) { write(id, value) { $0.writeString($1) } }
    fileprivate mutating func writeBinary(_ id: PropertyID, _ value: [UInt8]?) { write(id, value) { $0.writeBinary($1) } }
}
