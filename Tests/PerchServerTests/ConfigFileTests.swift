import PerchBroker
import PerchServer
import Testing

private func parse(_ text: String) throws -> ServerConfiguration {
    try ConfigFile.parse(text, file: "test.conf")
}

private func parseError(_ text: String) -> ConfigError? {
    do {
        _ = try ConfigFile.parse(text, file: "test.conf")
        return nil
    } catch {
        return error
    }
}

/// One good directive line and what it must do to the configuration.
struct GoodDirective: Sendable, CustomTestStringConvertible {
    let line: String
    let check: @Sendable (ServerConfiguration) -> Bool
    var testDescription: String { line }
}

@Suite("Config file")
struct ConfigFileTests {
    static let good: [GoodDirective] = [
        GoodDirective(line: "allow_anonymous true") { $0.broker.allowAnonymous },
        GoodDirective(line: "allow_anonymous false") { !$0.broker.allowAnonymous },
        GoodDirective(line: "allow_zero_length_clientid false") { !$0.broker.allowZeroLengthClientID },
        GoodDirective(line: "auto_id_prefix gw-") { $0.broker.assignedClientIDPrefix == "gw-" },
        GoodDirective(line: "persistence true") { $0.persistence },
        GoodDirective(line: "persistence false") { !$0.persistence },
        GoodDirective(line: "persistence_location /var/lib/perch") { $0.persistenceLocation == "/var/lib/perch" },
        GoodDirective(line: "autosave_interval 60") { $0.autosaveInterval == 60 },
        GoodDirective(line: "autosave_interval 0") { $0.autosaveInterval == 0 },
        GoodDirective(line: "max_connections -1") { $0.maxConnections == -1 },
        GoodDirective(line: "max_connections 100") { $0.maxConnections == 100 },
        GoodDirective(line: "max_inflight_messages 5") { $0.broker.maxInflightMessages == 5 && $0.broker.receiveMaximum == 5 },
        GoodDirective(line: "max_inflight_messages 0") { $0.broker.maxInflightMessages == 0 && $0.broker.receiveMaximum == 65535 },
        GoodDirective(line: "max_queued_messages 0") { $0.broker.maxQueuedMessages == 0 },
        GoodDirective(line: "max_queued_bytes 4096") { $0.broker.maxQueuedBytes == 4096 },
        GoodDirective(line: "message_size_limit 1024") { $0.broker.messageSizeLimit == 1024 },
        GoodDirective(line: "max_packet_size 2048") { $0.broker.maxPacketSize == 2048 },
        GoodDirective(line: "max_packet_size 0") { $0.broker.maxPacketSize == 0 },
        GoodDirective(line: "max_keepalive 120") { $0.broker.maxKeepalive == 120 },
        GoodDirective(line: "retain_available false") { !$0.broker.retainAvailable },
        GoodDirective(line: "max_topic_alias 0") { $0.broker.topicAliasMaximum == 0 },
        GoodDirective(line: "max_topic_alias 100") { $0.broker.topicAliasMaximum == 100 },
        GoodDirective(line: "max_topic_alias_broker 0") { $0.broker.outboundTopicAliasMaximum == 0 },
        GoodDirective(line: "max_topic_alias_broker 50") { $0.broker.outboundTopicAliasMaximum == 50 },
        GoodDirective(line: "response_information reply/") { $0.broker.responseInformation == "reply/" },
        GoodDirective(line: "server_reference other:1883") { $0.broker.serverReference == "other:1883" },
        GoodDirective(line: "server_reference other:1883\nredirect server_moved") {
            $0.broker.redirect == .serverMoved && $0.broker.serverReference == "other:1883"
        },
        GoodDirective(line: "redirect use_another_server\nserver_reference b") { $0.broker.redirect == .useAnotherServer },
        GoodDirective(line: "redirect none") { $0.broker.redirect == .none },
        GoodDirective(line: "log_type debug") { $0.logLevel == .debug },
        GoodDirective(line: "log_type all") { $0.logLevel == .trace },
        GoodDirective(line: "log_type none") { $0.logLevel == nil },
        GoodDirective(line: "log_type error") { $0.logLevel == .error },
        GoodDirective(line: "log_type warning") { $0.logLevel == .warning },
        GoodDirective(line: "log_type notice") { $0.logLevel == .notice },
        GoodDirective(line: "log_type information") { $0.logLevel == .info },
        GoodDirective(line: "log_dest stdout") { $0.logDestination == .stdout },
        GoodDirective(line: "log_dest stderr") { $0.logDestination == .stderr },
        GoodDirective(line: "connection_messages false") { !$0.connectionMessages },
        GoodDirective(line: "per_listener_settings false") { _ in true },
        GoodDirective(line: "listener 1884 127.0.0.1") {
            $0.listeners == [.init(address: "127.0.0.1", port: 1884)]
        },
        GoodDirective(line: "listener 1884 ::1") { $0.listeners == [.init(address: "::1", port: 1884)] },
        GoodDirective(line: "listener 1884") {
            $0.listeners == [.init(address: "0.0.0.0", port: 1884), .init(address: "::", port: 1884)]
        },
        GoodDirective(line: "listener 1884 localhost") {
            $0.listeners == [.init(address: "127.0.0.1", port: 1884), .init(address: "::1", port: 1884)]
        },
        GoodDirective(line: "port 1885") {
            $0.listeners == [.init(address: "0.0.0.0", port: 1885), .init(address: "::", port: 1885)]
        },
    ]

    @Test("a good directive sets its value", arguments: good)
    func goodDirective(_ directive: GoodDirective) throws {
        let configuration = try parse(directive.line)
        #expect(directive.check(configuration))
    }

    static let bad: [(line: String, message: String)] = [
        ("allow_anonymous yes", "'yes' is not true or false"),
        ("allow_anonymous", "missing value"),
        ("allow_anonymous true false", "expected one value"),
        ("persistence 1", "is not true or false"),
        ("autosave_interval -5", "out of range"),
        ("autosave_interval soon", "is not an integer"),
        ("max_connections -2", "out of range"),
        ("max_inflight_messages 70000", "out of range"),
        ("max_queued_messages -1", "out of range"),
        ("max_queued_bytes x", "is not an integer"),
        ("message_size_limit 268435456", "out of range"),
        ("max_packet_size 10", "must be 0 or at least 20"),
        ("max_keepalive 65536", "out of range"),
        ("retain_available maybe", "is not true or false"),
        ("max_topic_alias 65536", "out of range"),
        ("max_topic_alias_broker -1", "out of range"),
        ("response_information", "missing value"),
        ("redirect server_moved", "needs a server_reference line"),
        ("redirect elsewhere", "is not use_another_server, server_moved or none"),
        ("log_type verbose", "is not one of"),
        ("log_dest syslog", "not implemented by Perch yet"),
        ("log_dest console", "is not stdout or stderr"),
        ("connection_messages on", "is not true or false"),
        ("listener", "expected PORT [ADDRESS]"),
        ("listener 70000", "is not a port number"),
        ("listener 1883 example.com", "is not a numeric IPv4 or IPv6 address"),
        ("listener 1883 127.0.0.1 extra", "expected PORT [ADDRESS]"),
        ("port abc", "is not a port number"),
    ]

    @Test("a bad value is an error naming file, line and directive", arguments: bad)
    func badValue(_ bad: (line: String, message: String)) throws {
        let name = String(bad.line.split(separator: " ")[0])
        let error = try #require(parseError("# comment\n\n" + bad.line))
        #expect(error.file == "test.conf")
        #expect(error.line == 3)
        #expect(error.directive == name)
        #expect(error.description.hasPrefix("test.conf:3: \(name): "))
        #expect(error.message.contains(bad.message), "\(error)")
    }

    @Test("mosquitto directives Perch does not implement yet are errors, not ignored",
          arguments: ["include_dir /etc/conf.d", "bridge_protocol_version mqttv311",
                      "connection bridge1", "address 10.0.0.1:1883", "auth_opt_x y", "plugin /lib/p.so",
                      "bind_address 0.0.0.0", "user mosquitto"])
    func unimplemented(_ line: String) throws {
        let error = try #require(parseError("listener 1883\n" + line))
        #expect(error.line == 2)
        #expect(error.directive == String(line.split(separator: " ")[0]))
        #expect(error.message == "not implemented by Perch yet")
    }

    @Test("an unknown directive is an error naming file, line and directive")
    func unknown() throws {
        let error = try #require(parseError("listener 1883\n  allow_anonymus true\n"))
        #expect(error.description == "test.conf:2: allow_anonymus: unknown directive")
    }

    @Test("comments, blank lines, tabs and CRLF are accepted")
    func layout() throws {
        let configuration = try parse("# a comment\n\n\tlistener 1884 127.0.0.1\r\n   # indented comment\nmax_keepalive\t30\r\n")
        #expect(configuration.listeners == [.init(address: "127.0.0.1", port: 1884)])
        #expect(configuration.broker.maxKeepalive == 30)
    }

    @Test("a file starts from mosquitto's defaults: no persistence; no listener means localhost with anonymous")
    func mosquittoDefaults() throws {
        let empty = try parse("")
        #expect(!empty.persistence)
        #expect(empty.listeners == [.init(address: "127.0.0.1", port: 1883), .init(address: "::1", port: 1883)])
        #expect(empty.broker.allowAnonymous)
        let withListener = try parse("listener 1883")
        #expect(!withListener.broker.allowAnonymous)
        let explicit = try parse("listener 1883\nallow_anonymous true")
        #expect(explicit.broker.allowAnonymous)
    }

    @Test("without a file: localhost v4 and v6 on 1883, anonymous, persistence in ./perch-data")
    func perchDefaults() {
        let configuration = ServerConfiguration()
        #expect(configuration.listeners == [.init(address: "127.0.0.1", port: 1883), .init(address: "::1", port: 1883)])
        #expect(configuration.broker.allowAnonymous)
        #expect(configuration.persistence)
        #expect(configuration.persistenceLocation == "./perch-data")
        #expect(configuration.autosaveInterval == 1800)
    }

    @Test("repeated listeners and log_type lines accumulate")
    func repeatable() throws {
        let configuration = try parse("listener 1883 127.0.0.1\nlistener 8883 ::1\nlog_type error\nlog_type debug")
        #expect(configuration.listeners.map(\.port) == [1883, 8883])
        #expect(configuration.logLevel == .debug)
    }

    @Test("a missing file is an error naming it")
    func missingFile() throws {
        do {
            _ = try ConfigFile.load(path: "/nonexistent/perch.conf")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/perch.conf: cannot read"))
        }
    }
}
