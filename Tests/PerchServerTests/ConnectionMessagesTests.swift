import Dispatch
import Logging
import PerchCodec
import PerchServer
import PerchTestKit
import Synchronization
import Testing

/// Log lines a test can read, from any thread.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    var handlerFactory: @Sendable (String) -> any LogHandler {
        { [self] _ in Handler(capture: self) }
    }

    /// The lines logged so far containing `text`.
    func matching(_ text: String) -> [String] { lines.withLock { $0.filter { $0.contains(text) } } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.lines.withLock { $0.append("\(event.level) \(event.message)") }
        }
    }
}

@Suite("Connection messages")
struct ConnectionMessagesTests {
    @Test("connection_messages true logs connects in mosquitto's style and disconnects")
    func logged() throws {
        let capture = LogCapture()
        let test = try TestServer(logger: Logger(label: "t", factory: capture.handlerFactory)) {
            $0.connectionMessages = true
        }
        let client = try RawClient(port: test.port)
        try client.connect(version: .v5, clientID: "sensor-7", keepAlive: 30)
        try client.send(.pingreq)
        _ = try client.receive()
        client.disconnect()
        test.stop()
        let connected = capture.matching("New client connected from 127.0.0.1:")
        #expect(connected.count == 1)
        #expect(connected.first?.hasSuffix(" as sensor-7 (p5, c1, k30).") == true)
        #expect(capture.matching("Client sensor-7 ").count == 1)
        #expect(!capture.matching("Opening listen socket on 127.0.0.1:").isEmpty)
    }

    @Test("connection_messages false logs no client lines")
    func quiet() throws {
        let capture = LogCapture()
        let test = try TestServer(logger: Logger(label: "t", factory: capture.handlerFactory)) {
            $0.connectionMessages = false
        }
        let client = try RawClient(port: test.port)
        try client.connect(version: .v311, clientID: "quiet")
        client.disconnect()
        test.stop()
        #expect(capture.matching("New client").isEmpty)
        #expect(capture.matching("quiet").isEmpty)
    }
}
