import PerchBroker
import PerchCodec

extension Snapshot {
    /// The bytes of a complete snapshot holding `messages`.
    package static func encode(_ messages: [Message], clocks: Clocks) -> [UInt8] {
        var out: [UInt8] = magic
        out.appendBig(version)
        out.appendBig(UInt16(0))
        var body: [UInt8] = []
        for message in messages {
            body.removeAll(keepingCapacity: true)
            encodeRetained(message, clocks: clocks, into: &body)
            appendRecord(body, to: &out)
        }
        body.removeAll(keepingCapacity: true)
        body.append(Kind.end.rawValue)
        body.appendBig(UInt32(truncatingIfNeeded: messages.count))
        appendRecord(body, to: &out)
        return out
    }

    static func appendRecord(_ body: [UInt8], to out: inout [UInt8]) {
        out.appendBig(UInt32(body.count))
        out.appendBig(CRC32.checksum(body))
        out.append(contentsOf: body)
    }

    static func encodeRetained(_ message: Message, clocks: Clocks, into body: inout [UInt8]) {
        let p = message.properties
        var flags: UInt8 = 0
        if message.expiry != nil { flags |= Flag.expiry }
        if p.payloadFormatIndicator != nil { flags |= Flag.payloadFormat }
        if p.contentType != nil { flags |= Flag.contentType }
        if p.responseTopic != nil { flags |= Flag.responseTopic }
        if p.correlationData != nil { flags |= Flag.correlationData }
        body.append(Kind.retained.rawValue)
        body.append(message.qos.rawValue)
        body.append(flags)
        body.appendString(message.topic.string)
        body.appendBig(UInt32(message.payload.count))
        body.append(contentsOf: message.payload)
        if let expiry = message.expiry { body.appendBig(UInt64(bitPattern: clocks.wall(expiry))) }
        if let format = p.payloadFormatIndicator { body.append(format) }
        if let content = p.contentType { body.appendString(content) }
        if let response = p.responseTopic { body.appendString(response) }
        if let data = p.correlationData {
            body.appendBig(UInt16(truncatingIfNeeded: data.count))
            body.append(contentsOf: data)
        }
        body.appendBig(UInt16(truncatingIfNeeded: p.userProperties.count))
        for property in p.userProperties {
            body.appendString(property.name)
            body.appendString(property.value)
        }
    }
}

extension Array where Element == UInt8 {
    mutating func appendBig<T: FixedWidthInteger>(_ value: T) {
        var v = value.bigEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }

    /// A u16-length-prefixed UTF-8 string (MQTT strings are at most 65535 bytes).
    mutating func appendString(_ string: String) {
        let utf8 = string.utf8
        appendBig(UInt16(truncatingIfNeeded: utf8.count))
        append(contentsOf: utf8)
    }
}
