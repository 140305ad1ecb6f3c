import Testing

/// MQTT 5 features seen through libmosquitto: subscription identifiers, shared
/// subscriptions and user properties.
@Suite("libmosquitto MQTT 5 interop", .serialized)
struct LibmosquittoV5Tests {
    @Test("[v5 MQTT-3.3.4-3] [v5 MQTT-3.3.4-5] every matching subscription's identifier reaches libmosquitto, one copy per subscription")
    func subscriptionIdentifiers() throws {
        let perch = try InteropServer()
        defer { perch.stop() }
        let subscriber = MosquittoClient(id: "sid-sub", version: 5)
        #expect(subscriber.connect(port: perch.port) == 0)
        #expect(subscriber.subscribe("sid/+/temp", qos: 1, subscriptionID: 7) == [1])
        #expect(subscriber.subscribe("sid/#", qos: 0, subscriptionID: 300) == [0])
        let publisher = MosquittoClient(id: "sid-pub", version: 5)
        #expect(publisher.connect(port: perch.port) == 0)
        #expect(publisher.publish("sid/kitchen/temp", "21", qos: 1) == 0)
        let received = subscriber.waitForMessages(2)
        #expect(received.count == 2)
        #expect(Set(received.flatMap(\.subscriptionIDs)) == [7, 300])
        #expect(received.map(\.qos).max() == 1)   // the highest QoS of the matches [v5 MQTT-3.3.4-2]
    }

    @Test("[v5 MQTT-4.8.2-2] [v5 MQTT-3.3.2-17] [v5 MQTT-3.3.2-18] a shared subscription delivers each message to one member, with user properties in order")
    func sharedSubscription() throws {
        let perch = try InteropServer()
        defer { perch.stop() }
        let members = (1...2).map { MosquittoClient(id: "worker-\($0)", version: 5) }
        for member in members {
            #expect(member.connect(port: perch.port) == 0)
            #expect(member.subscribe("$share/workers/jobs/#", qos: 1) == [1])
        }
        let publisher = MosquittoClient(id: "dispatcher", version: 5)
        #expect(publisher.connect(port: perch.port) == 0)
        for job in 1...6 {
            #expect(publisher.publish("jobs/\(job)", "job \(job)", qos: 1, userProperties: [("a", "1"), ("b", "2")]) == 0)
        }
        // Both members together receive each job exactly once.
        let deadline = ContinuousClock.now + .seconds(5)
        var all: [MosquittoClient.Received] = []
        while ContinuousClock.now < deadline {
            all = members.flatMap { $0.messages }
            if all.count >= 6 { break }
            _ = members[0].waitForMessages(members[0].messages.count + 1, seconds: 0.05)
        }
        #expect(all.map(\.topic).sorted() == (1...6).map { "jobs/\($0)" }.sorted())
        #expect(members.allSatisfy { !$0.messages.isEmpty })   // round robin reaches both
        #expect(all.allSatisfy { $0.userProperties == ["a": "1", "b": "2"] })
    }
}
