/// Encoding CONNECT: always for its own `version` (the level byte selects the format).
extension Connect {
    func write<Sink: ByteSink>(to sink: inout Sink) {
        switch version {
        case .v31: sink.writeString("MQIsdp")
        case .v311, .v5: sink.writeString("MQTT")
        }
        sink.append(version.rawValue)
        sink.append(flagsByte)
        sink.writeUInt16(keepAlive)
        if version == .v5 { properties.write(to: &sink) }
        sink.writeString(clientID)
        if let will {
            if version == .v5 { will.properties.write(to: &sink) }
            sink.writeString(will.topic.string)
            sink.writeBinary(will.payload)
        }
        if let username { sink.writeString(username) }
        if let password { sink.writeBinary(password) }
    }

    /// 7 User Name | 6 Password | 5 Will Retain | 4-3 Will QoS | 2 Will | 1 Clean Start | 0 reserved.
    private var flagsByte: UInt8 {
        var flags: UInt8 = cleanStart ? 0x02 : 0
        if let will {
            flags |= 0x04 | will.qos.rawValue << 3 | (will.retain ? 0x20 : 0)
        }
        if password != nil { flags |= 0x40 }
        if username != nil { flags |= 0x80 }
        return flags
    }
}
