import Testing

/// Perch against real libmosquitto clients over loopback, for each protocol version.
@Suite("libmosquitto interop", .serialized)
struct LibmosquittoTests {
    static let versions: [Int32] = [3, 4, 5]

    @Test("[v311 MQTT-4.3.1-1] [v311 MQTT-4.3.2-1] [v311 MQTT-4.3.3-1] [v5 MQTT-4.3.2-1] [v5 MQTT-4.3.3-1] QoS 0, 1 and 2 from a libmosquitto publisher reach a libmosquitto subscriber in order",
          arguments: versions)
    func publishSubscribeEachQoS(version: Int32) throws {
        let perch = try InteropServer()
        defer { perch.stop() }
        let subscriber = MosquittoClient(id: "sub-\(version)", version: version)
        #expect(subscriber.connect(port: perch.port) == 0)
        #expect(subscriber.subscribe("interop/+/data", qos: 2) == [2])
        let publisher = MosquittoClient(id: "pub-\(version)", version: version)
        #expect(publisher.connect(port: perch.port) == 0)
        for qos: Int32 in [0, 1, 2] {
            #expect(publisher.publish("interop/q\(qos)/data", "payload-\(qos)", qos: qos) == 0)
        }
        let received = subscriber.waitForMessages(3)
        #expect(received.map(\.topic) == ["interop/q0/data", "interop/q1/data", "interop/q2/data"])
        #expect(received.map { String(decoding: $0.payload, as: UTF8.self) } == ["payload-0", "payload-1", "payload-2"])
        #expect(received.map(\.qos) == [0, 1, 2])
        #expect(received.allSatisfy { !$0.retain })
        publisher.disconnect()
        subscriber.disconnect()
    }

    @Test("[v311 MQTT-3.8.4-6] [v5 MQTT-3.8.4-8] delivered QoS is the minimum of published and granted QoS", arguments: [Int32(4), 5])
    func deliveredQoSIsMinimum(version: Int32) throws {
        let perch = try InteropServer()
        defer { perch.stop() }
        let subscriber = MosquittoClient(id: "min-sub", version: version)
        #expect(subscriber.connect(port: perch.port) == 0)
        #expect(subscriber.subscribe("min/#", qos: 1) == [1])
        let publisher = MosquittoClient(id: "min-pub", version: version)
        #expect(publisher.connect(port: perch.port) == 0)
        #expect(publisher.publish("min/a", "two", qos: 2) == 0)
        #expect(subscriber.waitForMessages(1).first?.qos == 1)
    }

    @Test("[v311 MQTT-3.3.1-5] [v311 MQTT-3.3.1-6] [v311 MQTT-3.3.1-8] [v5 MQTT-3.3.1-5] [v5 MQTT-3.3.1-9] a retained message reaches a later subscriber with RETAIN set",
          arguments: [Int32(4), 5])
    func retainedMessageOnSubscribe(version: Int32) throws {
        let perch = try InteropServer()
        defer { perch.stop() }
        let publisher = MosquittoClient(id: "ret-pub", version: version)
        #expect(publisher.connect(port: perch.port) == 0)
        #expect(publisher.publish("ret/state", "on", qos: 1, retain: true) == 0)
        let subscriber = MosquittoClient(id: "ret-sub", version: version)
        #expect(subscriber.connect(port: perch.port) == 0)
        #expect(subscriber.subscribe("ret/#", qos: 1) == [1])
        let received = subscriber.waitForMessages(1)
        #expect(received.first?.topic == "ret/state")
        #expect(received.first?.payload == Array("on".utf8))
        #expect(received.first?.retain == true)
    }

    @Test("[v311 MQTT-3.1.2-8] [v311 MQTT-3.1.2-17] [v5 MQTT-3.1.2-8] the Will is published when a client's connection drops",
          arguments: [Int32(4), 5])
    func willOnDroppedConnection(version: Int32) throws {
        let perch = try InteropServer()
        defer { perch.stop() }
        let watcher = MosquittoClient(id: "will-watch", version: version)
        #expect(watcher.connect(port: perch.port) == 0)
        #expect(watcher.subscribe("wills/#", qos: 1) == [1])
        let device = MosquittoClient(id: "will-device", version: version)
        device.setWill(topic: "wills/device", payload: "offline", qos: 1, retain: true)
        #expect(device.connect(port: perch.port) == 0)
        device.dropConnection()
        let received = watcher.waitForMessages(1)
        #expect(received.first?.topic == "wills/device")
        #expect(received.first?.payload == Array("offline".utf8))
        // Will Retain: a later subscriber sees it as a retained message.
        let late = MosquittoClient(id: "will-late", version: version)
        #expect(late.connect(port: perch.port) == 0)
        #expect(late.subscribe("wills/device", qos: 0) == [0])
        #expect(late.waitForMessages(1).first?.retain == true)
    }

    @Test("[v311 MQTT-3.1.4-2] [v5 MQTT-3.1.4-3] a second client with the same identifier takes the session over", arguments: [Int32(4), 5])
    func takeover(version: Int32) throws {
        let perch = try InteropServer()
        defer { perch.stop() }
        let first = MosquittoClient(id: "twin", version: version)
        #expect(first.connect(port: perch.port) == 0)
        let second = MosquittoClient(id: "twin", version: version)
        #expect(second.connect(port: perch.port) == 0)
        let reason = first.waitForDisconnect()
        #expect(reason != nil)
        if version == 5 { #expect(reason == 0x8E) }   // Session taken over
        // The new connection is fully served.
        #expect(second.subscribe("twin/t", qos: 1) == [1])
        #expect(second.publish("twin/t", "hello", qos: 1) == 0)
        #expect(second.waitForMessages(1).first?.payload == Array("hello".utf8))
    }

    @Test("[v311 MQTT-3.1.2-4] [v311 MQTT-3.1.2-5] [v311 MQTT-3.2.2-2] [v5 MQTT-3.1.2-5] a persistent session receives what was published while it was offline",
          arguments: [Int32(4), 5])
    func offlineQueue(version: Int32) throws {
        let perch = try InteropServer()
        defer { perch.stop() }
        let sleeper = MosquittoClient(id: "sleeper", cleanSession: false, version: version)
        #expect(sleeper.connect(port: perch.port, sessionExpiry: 3600) == 0)
        #expect(sleeper.subscribe("queue/#", qos: 2) == [2])
        sleeper.disconnect()
        let publisher = MosquittoClient(id: "waker", version: version)
        #expect(publisher.connect(port: perch.port) == 0)
        // One QoS: ordering holds per QoS [MQTT-4.6.0-6], and libmosquitto hands a QoS 2
        // message to the application only at PUBREL, so mixed QoS may overtake on the client.
        for i in 1...3 { #expect(publisher.publish("queue/m", "m\(i)", qos: 2) == 0) }
        let back = MosquittoClient(id: "sleeper", cleanSession: false, version: version)
        #expect(back.connect(port: perch.port, sessionExpiry: 3600) == 0)
        #expect(back.sessionPresent)
        let received = back.waitForMessages(3)
        #expect(received.map { String(decoding: $0.payload, as: UTF8.self) } == ["m1", "m2", "m3"])
    }
}
