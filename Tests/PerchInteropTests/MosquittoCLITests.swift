import Testing

/// The mosquitto command-line clients against a running Perch, as a user would run them.
@Suite("mosquitto_pub / mosquitto_sub", .serialized)
struct MosquittoCLITests {
    struct Case: CustomTestStringConvertible, Sendable {
        var version: String
        var qos: Int
        var testDescription: String { "-V \(version) -q \(qos)" }
    }
    static let cases = ["311", "5"].flatMap { v in (0...2).map { Case(version: v, qos: $0) } }

    @Test("[v311 MQTT-3.3.4-1] [v5 MQTT-3.3.4-1] mosquitto_pub and mosquitto_sub exchange a message", arguments: cases)
    func exchange(_ c: Case) throws {
        let perch = try InteropServer()
        defer { perch.stop() }
        let port = String(perch.port)
        let sub = try ChildProcess("mosquitto_sub", ["-h", "127.0.0.1", "-p", port, "-V", c.version, "-q", String(c.qos),
                                                     "-t", "cli/#", "-C", "1", "-W", "10", "-d", "-v"])
        #expect(sub.waitFor("SUBACK"))
        let pub = try ChildProcess("mosquitto_pub", ["-h", "127.0.0.1", "-p", port, "-V", c.version, "-q", String(c.qos),
                                                     "-t", "cli/v\(c.version)/q\(c.qos)", "-m", "hello perch"])
        #expect(pub.waitForExit() == 0)
        #expect(sub.waitFor("cli/v\(c.version)/q\(c.qos) hello perch"))
        #expect(sub.waitForExit() == 0)
    }

    @Test("[v5 MQTT-3.3.2-17] [v5 MQTT-3.3.2-18] mosquitto_sub -V 5 shows the user properties mosquitto_pub sent")
    func userPropertiesShown() throws {
        let perch = try InteropServer()
        defer { perch.stop() }
        let port = String(perch.port)
        let sub = try ChildProcess("mosquitto_sub", ["-h", "127.0.0.1", "-p", port, "-V", "5", "-t", "props/t",
                                                     "-C", "1", "-W", "10", "-d", "-F", "%t %p %P"])
        #expect(sub.waitFor("SUBACK"))
        let pub = try ChildProcess("mosquitto_pub", ["-h", "127.0.0.1", "-p", port, "-V", "5", "-t", "props/t", "-m", "x",
                                                     "-D", "publish", "user-property", "site", "kitchen"])
        #expect(pub.waitForExit() == 0)
        #expect(sub.waitFor("props/t x site:kitchen"))
    }
}
