import PerchBroker
import PerchCodec

/// Shortcuts for the packets scenario tests send most.
extension BrokerHarness {
    /// Opens a connection and sends CONNECT; the CONNACK stays in `sent` (use `take`).
    @discardableResult
    public func connect(_ clientID: String, version: ProtocolVersion = .v311, cleanStart: Bool = true,
                        keepAlive: UInt16 = 0, will: Will? = nil, username: String? = nil,
                        properties: Properties = Properties()) -> ConnectionID {
        let connection = open()
        send(connection, .connect(Connect(version: version, cleanStart: cleanStart, keepAlive: keepAlive,
                                          clientID: clientID, will: will, username: username,
                                          properties: properties)))
        return connection
    }

    /// Connects and discards the CONNACK.
    @discardableResult
    public func connected(_ clientID: String, version: ProtocolVersion = .v311, cleanStart: Bool = true,
                          keepAlive: UInt16 = 0, will: Will? = nil, properties: Properties = Properties()) -> ConnectionID {
        let connection = connect(clientID, version: version, cleanStart: cleanStart, keepAlive: keepAlive,
                                 will: will, properties: properties)
        _ = take(connection)
        return connection
    }

    /// SUBSCRIBE to one filter (`$share/{share}/{filter}` when `share` is set), discarding
    /// the SUBACK but keeping retained deliveries in `sent`.
    public func subscribe(_ connection: ConnectionID, _ filter: String, qos: QoS = .atMostOnce, id: UInt16 = 1,
                          noLocal: Bool = false, retainAsPublished: Bool = false,
                          retainHandling: RetainHandling = .sendOnSubscribe, identifier: UInt32? = nil,
                          share: String? = nil) {
        var properties = Properties()
        if let identifier { properties.subscriptionIdentifiers = [identifier] }
        let full = share.map { "$share/\($0)/\(filter)" } ?? filter
        let subscription = Subscription(filter: TopicFilter(unchecked: full, shareName: share, filter: filter), qos: qos,
                                        noLocal: noLocal, retainAsPublished: retainAsPublished,
                                        retainHandling: retainHandling)
        send(connection, .subscribe(Subscribe(packetID: PacketID(id)!, entries: [.valid(subscription)],
                                              properties: properties)))
        sentPacketsDroppingFirstSubAck(connection)
    }

    private func sentPacketsDroppingFirstSubAck(_ connection: ConnectionID) {
        let packets = take(connection)
        var droppedOne = false
        let rest = packets.filter { packet in
            if case .suback = packet, !droppedOne {
                droppedOne = true
                return false
            }
            return true
        }
        putBack(rest, on: connection)
    }

    /// PUBLISH from a client.
    public func publish(_ connection: ConnectionID, _ topic: String, _ payload: String = "x", qos: QoS = .atMostOnce,
                        id: UInt16? = nil, retain: Bool = false, dup: Bool = false, properties: Properties = Properties()) {
        let packetID = qos == .atMostOnce ? nil : PacketID(id ?? 1)
        send(connection, .publish(Publish(dup: dup, qos: qos, retain: retain, topic: topic, packetID: packetID,
                                          properties: properties, payload: Array(payload.utf8))))
    }

    /// The PUBLISH packets among what was sent since the last `take`, taking everything.
    public func takePublishes(_ connection: ConnectionID) -> [Publish] {
        take(connection).compactMap { packet in
            if case .publish(let publish) = packet { return publish }
            return nil
        }
    }
}
