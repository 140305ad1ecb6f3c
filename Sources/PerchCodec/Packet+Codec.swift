// STUB — replaced by the codec work.
extension Packet {
    /// Decodes a frame. `version` is the connection's version, nil before CONNECT
    /// (CONNECT carries its own).
    public init(frame: Frame, version: ProtocolVersion?) throws(DecodeError) { fatalError("stub") }
    /// Appends the packet's wire bytes for `version`.
    public func encode(version: ProtocolVersion, into buffer: inout [UInt8]) { fatalError("stub") }
    /// The number of bytes `encode` appends.
    public func encodedSize(version: ProtocolVersion) -> Int { fatalError("stub") }
}
extension TopicName {
    /// Validates a Topic Name (§4.7). Throws 0x81 for U+0000 / bad UTF-8 / too long,
    /// 0x82 for wildcards or empty.
    public init(validating string: String) throws(DecodeError) { fatalError("stub") }
}
extension TopicFilter {
    /// Validates a Topic Filter (§4.7, v5 §4.8.2 for `$share/`). Returns nil when invalid.
    public init?(validating string: String) { fatalError("stub") }
}
