import PerchBroker
import PerchServer
import Testing

/// Listener sections of the config file: per-listener options apply to the `listener`
/// line above them, as in mosquitto 2.0. (TLS directives that load files are checked
/// with generated certificates in the interop tests.)
@Suite("Config file: listeners")
struct ConfigFileListenerTests {
    func parse(_ text: String) throws -> ServerConfiguration { try ConfigFile.parse(text, file: "l.conf") }

    func parseError(_ text: String) -> ConfigError? {
        do {
            _ = try ConfigFile.parse(text, file: "l.conf")
            return nil
        } catch {
            return error
        }
    }

    @Test("options apply to the listener above them; a listener without an address is IPv4 and IPv6")
    func sections() throws {
        let c = try parse("""
            listener 1883
            mount_point dev/
            max_connections 5
            listener 9001 127.0.0.1
            protocol websockets
            bind_interface lo
            """)
        #expect(c.listeners.map(\.description) == ["0.0.0.0:1883", "[::]:1883", "127.0.0.1:9001"])
        #expect(c.listeners.map(\.mountPoint) == ["dev/", "dev/", nil])
        #expect(c.listeners.map(\.maxConnections) == [5, 5, -1])
        #expect(c.listeners.map(\.protocol) == [.mqtt, .mqtt, .websockets])
        #expect(c.listeners.map(\.bindInterface) == [nil, nil, "lo"])
        #expect(c.maxConnections == -1, "max_connections after a listener is that listener's")
        #expect(c.listeners[0].policy == ListenerPolicy(mountPoint: "dev/"))
    }

    @Test("socket_domain keeps one family of an address-less listener")
    func socketDomain() throws {
        #expect(try parse("listener 1883\nsocket_domain ipv4").listeners.map(\.description) == ["0.0.0.0:1883"])
        #expect(try parse("listener 1883\nsocket_domain ipv6").listeners.map(\.description) == ["[::]:1883"])
        let error = try #require(parseError("listener 1883 127.0.0.1\nsocket_domain ipv6"))
        #expect(error.description == "l.conf:2: socket_domain: the listener's address is not ipv6")
    }

    @Test("listener 0 PATH is a Unix socket; any other port with a path is an error")
    func unixSocket() throws {
        let c = try parse("listener 0 /run/perch/perch.sock")
        #expect(c.listeners == [.init(unixSocketPath: "/run/perch/perch.sock")])
        #expect(c.listeners[0].description == "/run/perch/perch.sock")
        #expect(parseError("listener 1883 /run/p.sock")?.message == "a Unix socket listener takes port 0: listener 0 /run/p.sock")
    }

    @Test("websockets_headers_size and max_connections before any listener are global")
    func globals() throws {
        let c = try parse("websockets_headers_size 2048\nmax_connections 10\nlistener 1883 127.0.0.1")
        #expect(c.websocketsHeadersSize == 2048)
        #expect(c.maxConnections == 10)
    }

    static let bad: [(String, String, String)] = [
        ("protocol foo", "protocol", "'foo' is not mqtt or websockets"),
        ("mount_point a/#", "mount_point", "'a/#' contains a wildcard (+ or #)"),
        ("tls_version tlsv9", "tls_version", "'tlsv9' is not tlsv1.2 or tlsv1.3 (the lowest version accepted)"),
        ("socket_domain ipx", "socket_domain", "'ipx' is not ipv4 or ipv6"),
        ("require_certificate maybe", "require_certificate", "'maybe' is not true or false"),
        ("use_identity_as_username true", "use_identity_as_username",
         "needs TLS on this listener (certfile and keyfile, or psk_hint)"),
        ("certfile /nonexistent/perch-test.crt\nkeyfile /nonexistent/perch-test.key", "certfile", "/nonexistent/perch-test.crt"),
    ]

    @Test("a bad listener option names file, line and directive", arguments: bad)
    func badOption(_ bad: (line: String, directive: String, message: String)) throws {
        let error = try #require(parseError("listener 8883 127.0.0.1\n" + bad.line))
        #expect(error.file == "l.conf")
        #expect(error.line == 2)
        #expect(error.directive == bad.directive)
        #expect(error.message.contains(bad.message), "\(error)")
    }

    @Test("a per-listener option before any listener line is an error", arguments: ["protocol websockets", "certfile x.crt", "mount_point a/"])
    func optionWithoutListener(_ line: String) throws {
        let error = try #require(parseError(line))
        #expect(error.message == "must follow a listener line (it is a per-listener option)")
    }

    @Test("psk_hint needs a psk_file; a bad psk_file line names the PSK file and its line")
    func pskFile() throws {
        #expect(parseError("listener 8883 127.0.0.1\npsk_hint gw")?.message == "needs a psk_file with the identities and keys")
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        let path = directory + "/devices.psk"
        writeFile(path, "# devices\ndevice-1:00ff\ndevice-2:xyz\n")
        let error = try #require(parseError("psk_file \(path)\nlistener 8883 127.0.0.1\npsk_hint gw"))
        #expect(error.file == path && error.line == 3, "\(error)")
        #expect(error.message.contains("identity:hexkey"))
    }
}

