import PerchCodec

/// Packet-level helpers over `RawClient` for the common steps of a scenario.
extension RawClient {
    /// Sends CONNECT and returns the CONNACK (throws on anything else, a close or a timeout).
    @discardableResult
    public func connect(version: ProtocolVersion, clientID: String, cleanStart: Bool = true,
                        keepAlive: UInt16 = 60, will: Will? = nil, username: String? = nil, password: String? = nil,
                        properties: Properties = Properties(), timeout: Double = 5) throws(Failure) -> ConnAck {
        self.version = version
        try send(.connect(Connect(version: version, cleanStart: cleanStart, keepAlive: keepAlive,
                                  clientID: clientID, will: will, username: username,
                                  password: password.map { Array($0.utf8) }, properties: properties)))
        guard let packet = try receive(timeout: timeout) else { throw .timeout("CONNACK") }
        guard case .connack(let ack) = packet else { throw .io("expected CONNACK, got \(packet)") }
        return ack
    }

    /// Subscribes to one filter and returns the SUBACK's reason codes.
    @discardableResult
    public func subscribe(_ filter: String, qos: QoS, packetID: UInt16 = 1,
                          timeout: Double = 5) throws(Failure) -> [ReasonCode] {
        guard let filter = TopicFilter(validating: filter), let id = PacketID(packetID) else {
            throw .io("bad filter or packet id")
        }
        try send(.subscribe(Subscribe(packetID: id, entries: [.valid(Subscription(filter: filter, qos: qos))])))
        while true {
            guard let packet = try receive(timeout: timeout) else { throw .timeout("SUBACK") }
            if case .suback(let ack) = packet, ack.packetID == id { return ack.reasons }
        }
    }

    /// Sends a PUBLISH (packet id `packetID` for QoS 1/2).
    public func publish(_ topic: String, _ payload: [UInt8], qos: QoS = .atMostOnce, retain: Bool = false,
                        packetID: UInt16? = nil, properties: Properties = Properties()) throws(Failure) {
        let id = qos == .atMostOnce ? nil : PacketID(packetID ?? 1)
        try send(.publish(Publish(qos: qos, retain: retain, topic: topic, packetID: id,
                                  properties: properties, payload: payload)))
    }

    /// Receives packets until one matches `predicate`, skipping others; throws on timeout.
    public func receive(timeout: Double = 5, until predicate: (Packet) -> Bool) throws(Failure) -> Packet {
        let deadline = RawClient.monotonicSeconds() + timeout
        while true {
            let remaining = deadline - RawClient.monotonicSeconds()
            guard remaining > 0, let packet = try receive(timeout: remaining) else { throw .timeout("a matching packet") }
            if predicate(packet) { return packet }
        }
    }

    /// The next PUBLISH, skipping other packets.
    public func receivePublish(timeout: Double = 5) throws(Failure) -> Publish {
        let packet = try receive(timeout: timeout) { if case .publish = $0 { return true } else { return false } }
        guard case .publish(let publish) = packet else { throw .io("unreachable") }
        return publish
    }

    /// Sends DISCONNECT (normal) and closes the socket.
    public func disconnect() {
        try? send(.disconnect(Disconnect()))
        close()
    }
}
