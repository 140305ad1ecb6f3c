import PerchCodec
import PerchServer
import PerchTestKit
import Testing

/// Publish/subscribe through a real `Server` over loopback TCP.
@Suite("End to end: publish and subscribe")
struct PubSubTests {
    static let versions: [ProtocolVersion] = [.v311, .v5]

    @Test("[v311 MQTT-3.3.4-1] [v5 MQTT-3.3.4-1] QoS 0, 1 and 2 flows over loopback",
          arguments: versions, QoS.allCases)
    func flows(version: ProtocolVersion, qos: QoS) throws {
        let test = try TestServer()
        defer { test.stop() }
        let subscriber = try RawClient(port: test.port)
        #expect(try subscriber.connect(version: version, clientID: "sub").reason == .success)
        #expect(try subscriber.subscribe("flow/#", qos: qos) == [.granted(qos)])
        let publisher = try RawClient(port: test.port)
        #expect(try publisher.connect(version: version, clientID: "pub").reason == .success)

        try publisher.publish("flow/a", Array("hello".utf8), qos: qos, packetID: 7)
        try completePublisherFlow(publisher, qos: qos, id: 7)

        let received = try subscriber.receivePublish()
        #expect(received.topic == "flow/a")
        #expect(received.payload == Array("hello".utf8))
        #expect(received.qos == qos)
        try completeSubscriberFlow(subscriber, received)
        subscriber.disconnect()
        publisher.disconnect()
    }

    /// The publisher's side of QoS 1/2: PUBACK, or PUBREC → PUBREL → PUBCOMP.
    func completePublisherFlow(_ client: RawClient, qos: QoS, id: UInt16) throws {
        let packetID = try #require(PacketID(id))
        switch qos {
        case .atMostOnce:
            return
        case .atLeastOnce:
            #expect(try client.receive() == .puback(PubAck(packetID: packetID)))   // [MQTT-4.3.2-4]
        case .exactlyOnce:
            #expect(try client.receive() == .pubrec(PubAck(packetID: packetID)))   // [MQTT-4.3.3-8]
            try client.send(.pubrel(PubAck(packetID: packetID)))
            #expect(try client.receive() == .pubcomp(PubAck(packetID: packetID)))  // [MQTT-4.3.3-11]
        }
    }

    /// The subscriber's side: acknowledge what was delivered so the broker's window frees.
    func completeSubscriberFlow(_ client: RawClient, _ publish: Publish) throws {
        switch publish.qos {
        case .atMostOnce:
            #expect(publish.packetID == nil)
        case .atLeastOnce:
            try client.send(.puback(PubAck(packetID: try #require(publish.packetID))))
        case .exactlyOnce:
            let id = try #require(publish.packetID)
            try client.send(.pubrec(PubAck(packetID: id)))
            #expect(try client.receive() == .pubrel(PubAck(packetID: id)))
            try client.send(.pubcomp(PubAck(packetID: id)))
        }
    }

    @Test("[v311 MQTT-3.3.1-6] a retained message survives a server restart on the same persistence directory")
    func retainedSurvivesRestart() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let first = try TestServer(persistenceDirectory: directory)
        let publisher = try RawClient(port: first.port)
        try publisher.connect(version: .v311, clientID: "pub")
        try publisher.publish("state/door", Array("open".utf8), qos: .atLeastOnce, retain: true, packetID: 1)
        // The PUBACK is released only after the store's commit for the batch.
        #expect(try publisher.receive() == .puback(PubAck(packetID: PacketID(1)!)))
        publisher.disconnect()
        first.stop()

        let second = try TestServer(persistenceDirectory: directory)
        defer { second.stop() }
        let subscriber = try RawClient(port: second.port)
        try subscriber.connect(version: .v311, clientID: "sub")
        try subscriber.subscribe("state/+", qos: .atLeastOnce)
        let retained = try subscriber.receivePublish()
        #expect(retained.topic == "state/door")
        #expect(retained.payload == Array("open".utf8))
        #expect(retained.retain)
        subscriber.disconnect()
    }

    @Test("[v5 MQTT-3.3.1-5] v5 properties of a retained message survive a restart")
    func retainedPropertiesSurviveRestart() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        var properties = Properties()
        properties.contentType = "text/plain"
        properties.userProperties = [UserProperty("site", "gw-1")]
        let first = try TestServer(persistenceDirectory: directory)
        let publisher = try RawClient(port: first.port)
        try publisher.connect(version: .v5, clientID: "pub5")
        try publisher.publish("state/v5", [1, 2], qos: .atLeastOnce, retain: true, packetID: 3, properties: properties)
        _ = try publisher.receive()
        publisher.disconnect()
        first.stop()

        let second = try TestServer(persistenceDirectory: directory)
        defer { second.stop() }
        let subscriber = try RawClient(port: second.port)
        try subscriber.connect(version: .v5, clientID: "sub5")
        try subscriber.subscribe("state/v5", qos: .atMostOnce)
        let retained = try subscriber.receivePublish()
        #expect(retained.payload == [1, 2])
        #expect(retained.properties.contentType == "text/plain")
        #expect(retained.properties.userProperties == [UserProperty("site", "gw-1")])
    }
}
