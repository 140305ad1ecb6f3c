import Foundation
import PerchServer
import PerchStreams
import PerchTestKit
import Testing

/// MQTT over WebSockets and over wss with the peers that use it: paho-mqtt's websocket
/// transport (PyPI, 3.1.1 and 5) and a real browser (headless Chromium, Debian's package)
/// whose page speaks MQTT 3.1.1 through the browser's own `WebSocket` API. scripts/test
/// installs both when missing.
@Suite("WebSockets with paho-mqtt and Chromium", .serialized)
struct WebSocketPeerTests {
    let pki: TestCertificates

    init() throws {
        pki = try TestCertificates.shared()
    }

    /// Perch with a plain TCP listener (for mosquitto_sub / mosquitto_pub on the other
    /// side) and a websockets listener, TLS on it when `secure`. Returns the server and
    /// the websockets port.
    func perch(secure: Bool) throws -> (InteropServer, UInt16) {
        let server = try InteropServer { configuration in
            var websockets = ServerConfiguration.Listener(address: "127.0.0.1", port: 0)
            websockets.protocol = .websockets
            if secure { websockets.tls = .testServer(pki) }
            configuration.listeners.append(websockets)
        }
        return (server, server.server.listeningPorts[1])
    }

    /// The Python interpreter with paho-mqtt: scripts/test names it in PERCH_PYTHON.
    static var python: String { ProcessInfo.processInfo.environment["PERCH_PYTHON"] ?? "python3" }

    /// One paho subscriber and one paho publisher over websockets: CONNECT, SUBSCRIBE at
    /// QoS 1, PUBLISH at QoS 1, the message received; prints `received TOPIC PAYLOAD QOS`.
    static let pahoScript = """
        import sys, threading
        import paho.mqtt.client as mqtt
        port, version, topic = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        ca = sys.argv[4] if len(sys.argv) > 4 else None
        protocol = mqtt.MQTTv5 if version == "5" else mqtt.MQTTv311
        subscribed, received, messages = threading.Event(), threading.Event(), []
        def client(name):
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, protocol=protocol, transport="websockets")
            c.ws_set_options(path="/mqtt")
            if ca: c.tls_set(ca_certs=ca)
            return c
        def on_message(c, u, m):
            messages.append((m.topic, m.payload.decode(), m.qos)); received.set()
        sub = client("paho-sub-" + version)
        sub.on_subscribe = lambda c, u, mid, codes, props: (print("suback", *codes, flush=True), subscribed.set())
        sub.on_message = on_message
        sub.on_connect = lambda c, u, flags, rc, props: (print("connack", rc, flush=True), c.subscribe(topic, qos=1))
        sub.connect("localhost", port); sub.loop_start()
        if not subscribed.wait(10): print("no suback", flush=True); sys.exit(2)
        pub = client("paho-pub-" + version)
        pub.connect("localhost", port); pub.loop_start()
        pub.publish(topic, "over websockets", qos=1).wait_for_publish(10)
        if not received.wait(10): print("no message", flush=True); sys.exit(3)
        print("received", *messages[0], flush=True)
        pub.disconnect(); sub.disconnect(); pub.loop_stop(); sub.loop_stop()
        """

    @Test("[v311 MQTT-6.0.0-2] [v5 MQTT-6.0.0-2] [v311 MQTT-6.0.0-4] [v5 MQTT-6.0.0-4] paho-mqtt over websockets and wss, QoS 1 both ways",
          arguments: ["311", "5"], [false, true])
    func paho(version: String, secure: Bool) throws {
        let (server, port) = try perch(secure: secure)
        defer { server.stop() }
        let topic = "paho/\(secure ? "wss" : "ws")/v\(version)"
        let script = try ChildProcess(Self.python, ["-c", Self.pahoScript, String(port), version, topic]
                                          + (secure ? [pki.caCertificate] : []))
        #expect(script.waitFor("received \(topic) over websockets 1", seconds: 30), "\(script.output)")
        #expect(script.output.contains("connack Success"), "\(script.output)")
        #expect(script.waitForExit(seconds: 10) == 0, "\(script.output)")
    }

    /// A page that speaks MQTT 3.1.1 through `new WebSocket(url, "mqtt")`, packets encoded
    /// by hand: CONNECT, then SUBSCRIBE `browser/in`, then PUBLISH `browser/ready`; every
    /// message it receives it publishes back on `browser/echo` as `echo PAYLOAD`.
    static let page = """
        <!doctype html><html><body><pre id="log">starting</pre><script>
        const url = new URLSearchParams(location.search).get("url");
        const enc = new TextEncoder(), dec = new TextDecoder();
        function str(s) { const b = enc.encode(s); return [b.length >> 8, b.length & 255, ...b]; }
        function packet(type, body) {
          const len = []; let n = body.length;
          do { const d = n % 128; n = Math.floor(n / 128); len.push(n > 0 ? d | 128 : d); } while (n > 0);
          return new Uint8Array([type, ...len, ...body]);
        }
        const ws = new WebSocket(url, "mqtt");
        ws.binaryType = "arraybuffer";
        let buffer = [];
        ws.onopen = () => ws.send(packet(0x10, [...str("MQTT"), 4, 2, 0, 60, ...str("chromium")]));
        ws.onmessage = (event) => {
          buffer.push(...new Uint8Array(event.data));
          for (;;) {
            let n = 0, mul = 1, i = 1;
            for (;; i++) {
              if (i >= buffer.length) return;
              n += (buffer[i] & 127) * mul; mul *= 128;
              if (!(buffer[i] & 128)) break;
            }
            if (buffer.length < i + 1 + n) return;
            const type = buffer[0], body = buffer.slice(i + 1, i + 1 + n);
            buffer = buffer.slice(i + 1 + n);
            if (type === 0x20 && body[1] === 0) {
              ws.send(packet(0x82, [0, 1, ...str("browser/in"), 0]));
            } else if (type === 0x90) {
              ws.send(packet(0x30, [...str("browser/ready"), ...enc.encode("protocol " + ws.protocol + " granted " + body[2])]));
            } else if ((type & 0xf0) === 0x30) {
              const length = (body[0] << 8) | body[1];
              const payload = dec.decode(new Uint8Array(body.slice(2 + length)));
              ws.send(packet(0x30, [...str("browser/echo"), ...enc.encode("echo " + payload)]));
            }
          }
        };
        </script></body></html>
        """

    @Test("[v311 MQTT-6.0.0-1] [v311 MQTT-6.0.0-2] [v311 MQTT-6.0.0-4] headless Chromium: CONNECT, SUBSCRIBE and PUBLISH through the browser's WebSocket API, over ws and wss",
          arguments: [false, true])
    func chromium(secure: Bool) throws {
        let (server, port) = try perch(secure: secure)
        defer { server.stop() }
        let directory = NSTemporaryDirectory() + "perch-chromium-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.page.write(toFile: directory + "/page.html", atomically: true, encoding: .utf8)

        let sub = try ChildProcess("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(server.port), "-t", "browser/ready",
                                                     "-t", "browser/echo", "-C", "2", "-W", "60", "-d", "-v"])
        #expect(sub.waitFor("SUBACK"), "\(sub.output)")
        let url = "\(secure ? "wss" : "ws")://localhost:\(port)/mqtt"
        // The browser's own chatter (D-Bus, GPU) goes to a file, not a pipe nobody reads.
        // wss: the test CA is not in the browser's store, so the certificate check is waived;
        // the TLS handshake and records are real.
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-sync", "--disable-component-update",
                     "--user-data-dir=\(directory)/profile"] + (secure ? ["--ignore-certificate-errors"] : [])
        let browser = try ChildProcess("sh", ["-c", "exec chromium \(flags.joined(separator: " ")) "
                                                  + "'file://\(directory)/page.html?url=\(url)' >'\(directory)/chromium.log' 2>&1"])
        defer { _ = browser.waitForExit(seconds: 0) }
        #expect(sub.waitFor("browser/ready protocol mqtt granted 0", seconds: 60), "\(sub.output)")
        let pub = try ChildProcess("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(server.port), "-t", "browser/in",
                                                     "-m", "from-mosquitto"])
        #expect(pub.waitForExit() == 0)
        #expect(sub.waitFor("browser/echo echo from-mosquitto", seconds: 20), "\(sub.output)")
    }
}
