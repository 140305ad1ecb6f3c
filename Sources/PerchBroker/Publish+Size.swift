import PerchCodec

/// An upper-bound estimate of a PUBLISH's encoded size, computed without encoding, to
/// honour a client's v5 Maximum Packet Size (the codec's encoder is not needed on this path).
extension Publish {
    var estimatedSize: Int {
        var body = 2 + topic.utf8.count + (packetID == nil ? 0 : 2) + payload.count
        let propertyLength = properties.estimatedPublishLength
        if propertyLength > 0 || !properties.isEmpty { body += propertyLength + variableByteIntegerSize(propertyLength) }
        return 1 + variableByteIntegerSize(body) + body
    }
}

extension Properties {
    /// Encoded length of the properties a PUBLISH may carry (§3.3.2.3).
    var estimatedPublishLength: Int {
        var length = 0
        if payloadFormatIndicator != nil { length += 2 }
        if messageExpiryInterval != nil { length += 5 }
        if topicAlias != nil { length += 3 }
        if let contentType { length += 3 + contentType.utf8.count }
        if let responseTopic { length += 3 + responseTopic.utf8.count }
        if let correlationData { length += 3 + correlationData.count }
        for identifier in subscriptionIdentifiers { length += 1 + variableByteIntegerSize(Int(identifier)) }
        for property in userProperties { length += 5 + property.name.utf8.count + property.value.utf8.count }
        return length
    }
}

@inline(__always)
func variableByteIntegerSize(_ value: Int) -> Int {
    value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4
}
