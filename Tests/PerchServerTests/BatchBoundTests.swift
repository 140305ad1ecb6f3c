#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import PerchCodec
import PerchServer
import PerchTestKit
import Synchronization
import Testing

/// The transport bounds the work of one wakeup: a burst never piles up more actions than
/// the batch limit before they are applied and the output flushed (measured by a counter,
/// not by RSS), and everything in the burst is still delivered, in order.
@Suite("End to end: bounded batches")
struct BatchBoundTests {
    /// A subscriber on `filter` at `qos` and a publisher, both 3.1.1.
    func clients(_ test: TestServer, filter: String, qos: QoS = .atMostOnce,
                 receiveBufferSize: Int32? = nil) throws -> (RawClient, RawClient) {
        let subscriber = try RawClient(port: test.port, receiveBufferSize: receiveBufferSize)
        try subscriber.connect(version: .v311, clientID: "sink")
        try subscriber.subscribe(filter, qos: qos)
        let publisher = try RawClient(port: test.port)
        try publisher.connect(version: .v311, clientID: "flood")
        return (subscriber, publisher)
    }

    /// `count` QoS 0 PUBLISH packets in one buffer; packet i's payload starts with i (two
    /// bytes, big-endian), then `topicAndTail(i)`'s bytes.
    func burst(_ count: Int, _ topicAndTail: (Int) -> (String, [UInt8])) -> [UInt8] {
        var bytes: [UInt8] = []
        for i in 0..<count {
            let (topic, tail) = topicAndTail(i)
            let payload = [UInt8(truncatingIfNeeded: i >> 8), UInt8(truncatingIfNeeded: i)] + tail
            Packet.publish(Publish(qos: .atMostOnce, topic: topic, payload: payload)).encode(version: .v311, into: &bytes)
        }
        return bytes
    }

    @Test("[v5 interp] a burst of 6,000 QoS 0 PUBLISH packets in one write is applied in bounded batches; all arrive in order")
    func burstIsBounded() throws {
        let test = try TestServer {
            $0.outputSoftLimit = 64 << 20 // nothing may be dropped here
            $0.outputHardLimit = 128 << 20
        }
        defer { test.stop() }
        let (subscriber, publisher) = try clients(test, filter: "burst/#")
        let count = 6000
        let bytes = burst(count) { i in ("burst/\(i % 7)", []) }
        try publisher.sendRaw(bytes) // about 80 kB: one read of the server sees thousands of packets
        for i in 0..<count {
            let publish = try subscriber.receivePublish(timeout: 10)
            #expect(publish.payload == [UInt8(truncatingIfNeeded: i >> 8), UInt8(truncatingIfNeeded: i)])
        }
        try publisher.send(.pingreq)
        #expect(try publisher.receive() == .pingresp)
        #expect(test.droppedPublishes == 0)
        // One PUBLISH to one subscriber adds one action: the batch limit plus that one.
        // And the burst (read as a few 64 kB chunks) was not applied as one batch.
        #expect(test.peakBatchActions <= test.batchActionLimit + 1)
        #expect(test.peakBatchActions < count / 2)
    }
}

extension BatchBoundTests {
    /// Sends `bytes` on `fd` from another thread (a blocking send stalls while the server
    /// holds this publisher's input back); signals `done` when everything is sent.
    /// `count` retained PUBLISH packets (3.1.1) to topics r/0, r/1, ..., one buffer.
    static func retainedPublishes(_ count: Int, qos: QoS, payload: (Int) -> [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        for i in 0..<count {
            Packet.publish(Publish(qos: qos, retain: true, topic: "r/\(i)", packetID: qos == .atMostOnce ? nil : PacketID(UInt16(i % 60_000 + 1)),
                                   payload: payload(i))).encode(version: .v311, into: &bytes)
        }
        return bytes
    }

    func sendInBackground(_ bytes: [UInt8], fd: Int32, done: DispatchSemaphore) {
        DispatchQueue.global().async {
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                offset += n
            }
            done.signal()
        }
    }

    @Test("[v5 interp] a reader that falls behind but keeps reading holds publishers back (TCP back-pressure): no QoS 0 message is dropped")
    func congestionHoldsPublishersBack() throws {
        let test = try TestServer {
            $0.outputSoftLimit = 512 * 1024
            $0.outputHardLimit = 64 << 20
            $0.congestionPause = 10_000 // the reader below always drains long before this
        }
        defer { test.stop() }
        let (subscriber, publisher) = try clients(test, filter: "flood", receiveBufferSize: 4096)
        let count = 12_000
        let bytes = burst(count) { _ in ("flood", [UInt8](repeating: 0x5A, count: 1022)) }
        let done = DispatchSemaphore(value: 0)
        sendInBackground(bytes, fd: publisher.fd, done: done) // 12 MB: more than the kernel socket buffers (4 MB) and 24 times the soft limit
        // The reader starts late: only once its output passed the threshold (or, without
        // back-pressure, once the server took everything and dropped what passed the limit).
        let deadline = DispatchTime.now() + 10
        var sent = false
        while !sent, test.server.congestionEpisodesForTesting() == 0, DispatchTime.now() < deadline {
            sent = done.wait(timeout: .now() + .milliseconds(1)) == .success
        }
        var inOrder = 0
        while inOrder < count, let publish = try? subscriber.receivePublish(timeout: 10),
              publish.payload[0] == UInt8(truncatingIfNeeded: inOrder >> 8),
              publish.payload[1] == UInt8(truncatingIfNeeded: inOrder) {
            inOrder += 1
        }
        #expect(inOrder == count) // none dropped, none out of order
        #expect(sent || done.wait(timeout: .now() + 10) == .success)
        #expect(test.droppedPublishes == 0)
    }
}

extension BatchBoundTests {
    /// Issue 12 defect 5: a QoS 1 subscriber slower than its publisher silently lost most
    /// messages (9.8% delivered): Perch acknowledged the publisher at its own pace and
    /// dropped beyond the 1,000-message queue. A queue filling now holds the publishers back.
    @Test("[v311 MQTT-4.3.2-2] [v5 interp] a QoS 1 subscriber that keeps reading, slower than a flood of 5,000 QoS 1 PUBLISH, loses none of them: the publisher is held back")
    func queueBackPressure() throws {
        let test = try TestServer {
            $0.broker.maxQueuedMessages = 200
            $0.congestionPause = 10_000 // the reader below always drains long before this
        }
        defer { test.stop() }
        let (subscriber, publisher) = try clients(test, filter: "flood", qos: .atLeastOnce)
        let count = 5000
        var bytes: [UInt8] = []
        for i in 0..<count {
            let payload = [UInt8(truncatingIfNeeded: i >> 8), UInt8(truncatingIfNeeded: i)]
            Packet.publish(Publish(qos: .atLeastOnce, topic: "flood", packetID: PacketID(UInt16(i % 65_535 + 1)),
                                   payload: payload)).encode(version: .v311, into: &bytes)
        }
        let done = DispatchSemaphore(value: 0)
        sendInBackground(bytes, fd: publisher.fd, done: done) // all of it in the server's socket buffer at once
        var inOrder = 0
        while inOrder < count, let publish = try? subscriber.receivePublish(timeout: 10),
              publish.payload == [UInt8(truncatingIfNeeded: inOrder >> 8), UInt8(truncatingIfNeeded: inOrder)] {
            inOrder += 1
            if let id = publish.packetID { try subscriber.send(.puback(PubAck(packetID: id))) }
        }
        #expect(inOrder == count) // none dropped, none out of order
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(test.server.brokerStatisticsForTesting().queueOverflows == 0)
        #expect(test.server.congestionEpisodesForTesting() > 0)
    }
}

extension BatchBoundTests {
    @Test("[v5 interp] a QoS 1 subscriber that stops reading holds the publisher back only for congestion_pause; then its overflow is dropped, counted and logged, and the publisher is served")
    func stalledQueueDropsCountedAndLogged() throws {
        let capture = LogCapture()
        let test = try TestServer(logger: Logger(label: "t", factory: capture.handlerFactory)) {
            $0.broker.maxQueuedMessages = 100
            $0.congestionPause = 50
            $0.connectionMessages = false
        }
        defer { test.stop() }
        let (stalled, publisher) = try clients(test, filter: "stall", qos: .atLeastOnce)
        defer { stalled.close() } // it never reads
        for id in UInt16(1)...300 {
            try publisher.publish("stall", [UInt8(truncatingIfNeeded: id)], qos: .atLeastOnce, packetID: id)
        }
        _ = try publisher.receive(timeout: 10) { $0 == .puback(PubAck(packetID: PacketID(300)!)) }
        let statistics = test.server.brokerStatisticsForTesting()
        #expect(statistics.queueOverflows == 300 - 20 - 100) // window 20, queue 100, the rest dropped
        // The line comes with the batch of the drops or the next one; a ping makes one.
        try publisher.send(.pingreq)
        _ = try publisher.receive { $0 == .pingresp }
        // At most a line a second, each with the count since the last and since start.
        let lines = capture.matching("QoS 1/2 messages dropped: subscriber queues full (max_queued_messages 100)")
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.hasPrefix("warning") == true, "\(lines)")
    }
}

extension BatchBoundTests {
    /// Issue 12: the retained messages a new subscription matches are all delivered under
    /// flow control, not cut at `max_queued_messages` as a queue would be (mosquitto #2887).
    @Test("[v311 MQTT-3.3.1-6] [v5 MQTT-3.3.1-9] a `#` subscriber gets all of 50,000 retained QoS 1 messages, 20 in flight at a time, with max_queued_messages 1000, and a QoS 0 one gets them all too")
    func retainedBurst() throws {
        let test = try TestServer()
        defer { test.stop() }
        let count = 50_000
        let publisher = try RawClient(port: test.port)
        try publisher.connect(version: .v311, clientID: "retainer")
        let bytes = Self.retainedPublishes(count, qos: .atLeastOnce) { Array("v\($0)".utf8) }
        let done = DispatchSemaphore(value: 0)
        sendInBackground(bytes, fd: publisher.fd, done: done)
        var acknowledged = 0
        while acknowledged < count, (try? publisher.receive(timeout: 10, until: { if case .puback = $0 { true } else { false } })) != nil {
            acknowledged += 1
        }
        #expect(acknowledged == count)
        #expect(done.wait(timeout: .now() + 10) == .success)

        /// The distinct retained topics a new `#` subscriber receives (acknowledging each).
        func retainedTopics(version: ProtocolVersion, qos: QoS) throws -> Int {
            let subscriber = try RawClient(port: test.port)
            try subscriber.connect(version: version, clientID: "everything-\(qos.rawValue)")
            try subscriber.subscribe("#", qos: qos)
            var topics = Set<String>()
            while topics.count < count, let publish = try? subscriber.receivePublish(timeout: 10), publish.retain {
                topics.insert(publish.topic)
                if let id = publish.packetID { try subscriber.send(.puback(PubAck(packetID: id))) }
            }
            return topics.count
        }
        #expect(try retainedTopics(version: .v5, qos: .atLeastOnce) == count) // as acknowledgements free the window
        #expect(try retainedTopics(version: .v311, qos: .atMostOnce) == count) // as the output drains
        #expect(test.server.brokerStatisticsForTesting().queueOverflows == 0)
        #expect(test.server.brokerStatisticsForTesting().droppedMessages == 0)
    }

    @Test("[v311 MQTT-3.3.1-6] a QoS 0 retained burst's parts follow the output soft limit (16 KiB here): 2,000 retained messages of 1,000 bytes all arrive, none dropped as for a slow reader")
    func retainedBurstWithinSoftLimit() throws {
        let test = try TestServer { $0.outputSoftLimit = 16 * 1024 }
        defer { test.stop() }
        let count = 2000
        let publisher = try RawClient(port: test.port)
        try publisher.connect(version: .v311, clientID: "retainer")
        let payload = [UInt8](repeating: 0x78, count: 1000)
        for i in 0..<count {
            try publisher.send(.publish(Publish(qos: .atLeastOnce, retain: true, topic: "r/\(i)", packetID: PacketID(1), payload: payload)))
            _ = try publisher.receive(timeout: 10, until: { if case .puback = $0 { true } else { false } })
        }
        let subscriber = try RawClient(port: test.port)
        try subscriber.connect(version: .v311, clientID: "everything")
        try subscriber.subscribe("#", qos: .atMostOnce)
        var topics = Set<String>()
        while topics.count < count, let publish = try? subscriber.receivePublish(timeout: 10), publish.retain {
            topics.insert(publish.topic)
        }
        #expect(topics.count == count)
        #expect(test.server.droppedPublishesForTesting() == 0)
    }

    @Test("[v5 interp] a reader taking a burst of 50,000 retained QoS 0 messages as fast as it comes does not stall the loop: another client's round trip is answered before the burst ends")
    func fastReaderBurstLetsOthersIn() throws {
        let test = try TestServer()
        defer { test.stop() }
        let count = 50_000
        let publisher = try RawClient(port: test.port)
        try publisher.connect(version: .v311, clientID: "retainer")
        var bytes = Self.retainedPublishes(count, qos: .atMostOnce) { _ in [UInt8](repeating: 0x61, count: 100) }
        Packet.pingreq.encode(version: .v311, into: &bytes) // answered once all the PUBLISH before it are stored
        let sent = DispatchSemaphore(value: 0)
        sendInBackground(bytes, fd: publisher.fd, done: sent)
        #expect(try publisher.receive(timeout: 30, until: { $0 == .pingresp }) == .pingresp)
        #expect(sent.wait(timeout: .now() + 10) == .success)
        let other = try RawClient(port: test.port)
        try other.connect(version: .v311, clientID: "other")

        nonisolated(unsafe) let reader = try RawClient(port: test.port) // read only by the thread below from here on
        try reader.connect(version: .v311, clientID: "fast")
        try reader.subscribe("#", qos: .atMostOnce) // the burst starts with the SUBACK
        let received = Counter()
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            while received.value < count, (try? reader.receivePublish(timeout: 10)) != nil { received.increment() }
            finished.signal()
        }
        try other.send(.pingreq)
        #expect(try other.receive(timeout: 10, until: { $0 == .pingresp }) == .pingresp)
        let whenAnswered = received.value
        #expect(finished.wait(timeout: .now() + 30) == .success)
        #expect(received.value == count)
        #expect(whenAnswered < count, "the other client waited for the whole burst")
    }
}

/// A count shared between a reader thread and the test.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .acquiring) }
    func increment() { count.add(1, ordering: .releasing) }
}
