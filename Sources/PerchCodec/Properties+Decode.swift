/// Decoding a v5 property block (§2.2.2):
///
///     Property Length (VBI) | id (VBI) value | id value | ...
///
/// Unknown identifier, identifier not allowed here, truncated value → Malformed (0x81).
/// Repeated single-valued property, or a value outside its range → Protocol Error (0x82).
extension Properties {
    init(from reader: inout ByteReader, context: PropertyContext) throws(DecodeError) {
        self.init()
        let length = try reader.readVariableByteInteger("property length")
        var block = try reader.limited(to: length, "properties")
        var seen: UInt64 = 0
        while !block.isAtEnd {
            let raw = try block.readVariableByteInteger("property identifier")
            guard raw <= 0xFF, let id = PropertyID(rawValue: UInt8(raw)) else {
                throw .malformed("unknown property identifier 0x\(String(raw, radix: 16))")  // §2.2.2.2
            }
            guard id.isAllowed(in: context) else {
                throw .malformed("property 0x\(String(raw, radix: 16)) not allowed in \(context)")  // §2.2.2.2
            }
            let bit: UInt64 = 1 << id.rawValue
            guard seen & bit == 0 || id.mayRepeat(in: context) else {
                throw .protocolError("property 0x\(String(raw, radix: 16)) repeated")
            }
            seen |= bit
            try readValue(of: id, from: &block)
        }
        if context == .connect || context == .auth, authenticationData != nil, authenticationMethod == nil {
            throw .protocolError("Authentication Data without Authentication Method")  // v5 §3.1.2.11.10, §3.15.2.2.3
        }
    }

    private mutating func readValue(of id: PropertyID, from block: inout ByteReader) throws(DecodeError) {
        switch id {
        case .payloadFormatIndicator: payloadFormatIndicator = try block.readFlag("Payload Format Indicator")
        case .messageExpiryInterval: messageExpiryInterval = try block.readUInt32("Message Expiry Interval")
        case .contentType: contentType = try block.readString("Content Type")
        case .responseTopic: responseTopic = try block.readString("Response Topic")
        case .correlationData: correlationData = try block.readBinary("Correlation Data")
        case .subscriptionIdentifier:
            let value = try block.readVariableByteInteger("Subscription Identifier")
            guard value != 0 else { throw .protocolError("Subscription Identifier 0") }  // v5 §3.8.2.1.2
            subscriptionIdentifiers.append(UInt32(value))
        case .sessionExpiryInterval: sessionExpiryInterval = try block.readUInt32("Session Expiry Interval")
        case .assignedClientIdentifier: assignedClientIdentifier = try block.readString("Assigned Client Identifier")
        case .serverKeepAlive: serverKeepAlive = try block.readUInt16("Server Keep Alive")
        case .authenticationMethod: authenticationMethod = try block.readString("Authentication Method")
        case .authenticationData: authenticationData = try block.readBinary("Authentication Data")
        case .requestProblemInformation: requestProblemInformation = try block.readFlag("Request Problem Information")
        case .willDelayInterval: willDelayInterval = try block.readUInt32("Will Delay Interval")
        case .requestResponseInformation: requestResponseInformation = try block.readFlag("Request Response Information")
        case .responseInformation: responseInformation = try block.readString("Response Information")
        case .serverReference: serverReference = try block.readString("Server Reference")
        case .reasonString: reasonString = try block.readString("Reason String")
        case .receiveMaximum: receiveMaximum = try block.readNonZeroUInt16("Receive Maximum")  // v5 §3.1.2.11.3
        case .topicAliasMaximum: topicAliasMaximum = try block.readUInt16("Topic Alias Maximum")
        case .topicAlias: topicAlias = try block.readUInt16("Topic Alias")  // 0 is the broker's 0x94
        case .maximumQoS: maximumQoS = try block.readFlag("Maximum QoS")  // v5 §3.2.2.3.4
        case .retainAvailable: retainAvailable = try block.readFlag("Retain Available")
        case .userProperty:
            let name = try block.readString("User Property name")
            userProperties.append(UserProperty(name, try block.readString("User Property value")))
        case .maximumPacketSize: maximumPacketSize = try block.readNonZeroUInt32("Maximum Packet Size")  // v5 §3.1.2.11.4
        case .wildcardSubscriptionAvailable: wildcardSubscriptionAvailable = try block.readFlag("Wildcard Available")
        case .subscriptionIdentifierAvailable:
            subscriptionIdentifierAvailable = try block.readFlag("Subscription Identifier Available")
        case .sharedSubscriptionAvailable: sharedSubscriptionAvailable = try block.readFlag("Shared Available")
        }
    }
}

extension ByteReader {
    /// A Byte property that must be 0 or 1; anything else is a Protocol Error.
    fileprivate mutating func readFlag(_ what: StaticString) throws(DecodeError) -> UInt8 {
        let value = try readByte(what)
        guard value <= 1 else { throw .protocolError("\(what) is \(value), not 0 or 1") }
        return value
    }

    fileprivate mutating func readNonZeroUInt16(_ what: StaticString) throws(DecodeError) -> UInt16 {
        let value = try readUInt16(what)
        guard value != 0 else { throw .protocolError("\(what) is 0") }
        return value
    }

    fileprivate mutating func readNonZeroUInt32(_ what: StaticString) throws(DecodeError) -> UInt32 {
        let value = try readUInt32(what)
        guard value != 0 else { throw .protocolError("\(what) is 0") }
        return value
    }
}
