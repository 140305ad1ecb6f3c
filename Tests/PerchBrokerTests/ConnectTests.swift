import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("CONNECT")
struct ConnectTests {
    @Test("[v311 MQTT-3.2.2-1] [v311 MQTT-3.1.3-5] accepted CONNECT gets CONNACK 0x00, Session Present 0")
    func acceptsV311() {
        let h = BrokerHarness()
        let c = h.connect("sensor01")
        #expect(h.take(c) == [accepted()])
        #expect(!h.closed(c))
        #expect(h.broker.statistics.connectedClients == 1)
    }

    @Test("[v5 MQTT-3.2.2-2] [v5 MQTT-3.2.2-9] [v5 MQTT-3.1.4-5] v5 CONNACK advertises only what the broker does")
    func connackPropertiesV5() throws {
        var config = BrokerConfiguration()
        config.receiveMaximum = 100
        config.maximumQoS = .atLeastOnce
        config.retainAvailable = false
        config.maxPacketSize = 4096
        let h = BrokerHarness(configuration: config)
        let c = h.connect("a", version: .v5)
        let ack = try #require(connack(h.take(c)))
        #expect(ack.reason == .success && !ack.sessionPresent)
        #expect(ack.properties.receiveMaximum == 100)
        #expect(ack.properties.maximumQoS == 1)
        #expect(ack.properties.retainAvailable == 0)
        #expect(ack.properties.maximumPacketSize == 4096)
        #expect(ack.properties.topicAliasMaximum == 10)
        #expect(ack.properties.wildcardSubscriptionAvailable == 1)
        #expect(ack.properties.subscriptionIdentifierAvailable == 1)
        #expect(ack.properties.sharedSubscriptionAvailable == 1)
        #expect(ack.properties.serverKeepAlive == nil)
        #expect(ack.properties.assignedClientIdentifier == nil)
    }

    @Test("[v5 interp] default configuration leaves Maximum QoS and Retain Available unset, advertises Receive Maximum 20 (max_inflight_messages, as mosquitto)")
    func connackDefaultsV5() throws {
        let h = BrokerHarness()
        let c = h.connect("a", version: .v5)
        let ack = try #require(connack(h.take(c)))
        #expect(ack.properties.maximumQoS == nil)
        #expect(ack.properties.retainAvailable == nil)
        #expect(ack.properties.receiveMaximum == 20)
        #expect(ack.properties.maximumPacketSize == nil)
    }

    @Test("[v311 MQTT-3.1.3-6] empty client id with clean session is assigned one")
    func emptyClientIDV311() {
        let h = BrokerHarness()
        let c = h.connect("", cleanStart: true)
        #expect(h.take(c) == [accepted()])
        #expect(h.broker.statistics.sessions == 1)
    }

    @Test("[v311 MQTT-3.1.3-8] empty client id with clean session 0 gets CONNACK 0x02 and close")
    func emptyClientIDPersistentV311() {
        let h = BrokerHarness()
        let c = h.connect("", cleanStart: false)
        #expect(h.take(c) == [.connack(ConnAck(sessionPresent: false, reason: .clientIdentifierNotValid))])
        #expect(h.closed(c))
    }

    @Test("[v5 MQTT-3.1.3-6] [v5 MQTT-3.1.3-7] [v5 MQTT-3.2.2-16] empty client id gets an Assigned Client Identifier")
    func assignedClientIDV5() throws {
        let h = BrokerHarness()
        let a = h.connect("", version: .v5, cleanStart: false)
        let b = h.connect("", version: .v5)
        let first = try #require(connack(h.take(a))?.properties.assignedClientIdentifier)
        let second = try #require(connack(h.take(b))?.properties.assignedClientIdentifier)
        #expect(first.hasPrefix("perch-"))
        #expect(first != second)
    }

    @Test("[v311 MQTT-3.1.3-9] zero-length ids refused when not allowed")
    func zeroLengthNotAllowed() {
        var config = BrokerConfiguration()
        config.allowZeroLengthClientID = false
        let h = BrokerHarness(configuration: config)
        let c = h.connect("")
        #expect(h.take(c) == [.connack(ConnAck(sessionPresent: false, reason: .clientIdentifierNotValid))])
        #expect(h.closed(c))
    }

    @Test("[v311 interp] MQTT 3.1 client id longer than 23 characters or empty is rejected, 3.1.1 accepts long ones")
    func longClientID() {
        let h = BrokerHarness()
        let long = String(repeating: "x", count: 24)
        let old = h.connect(long, version: .v31)
        #expect(h.take(old) == [.connack(ConnAck(sessionPresent: false, reason: .clientIdentifierNotValid))])
        let modern = h.connect(String(repeating: "y", count: 300))
        #expect(h.take(modern) == [accepted()])
        let empty = h.connect("", version: .v31)
        #expect(h.take(empty) == [.connack(ConnAck(sessionPresent: false, reason: .clientIdentifierNotValid))])
    }

    @Test("[v311 interp] allow_anonymous false refuses clients without user name: 0x05 / v5 0x87")
    func anonymousRefused() {
        var config = BrokerConfiguration()
        config.allowAnonymous = false
        let h = BrokerHarness(configuration: config)
        let a = h.connect("a")
        let b = h.connect("b", version: .v5)
        let c = h.connect("c", username: "user")
        #expect(h.take(a) == [.connack(ConnAck(sessionPresent: false, reason: .notAuthorized))])
        #expect(plain(h.take(b)) == [.connack(ConnAck(sessionPresent: false, reason: .notAuthorized))])
        #expect(h.closed(a) && h.closed(b))
        #expect(h.take(c) == [accepted()])
    }

    @Test("[v311 interp] 3.1.1 keep alive above max_keepalive is refused with 0x02 like mosquitto 2")
    func keepAliveAboveMaximumV311() {
        var config = BrokerConfiguration()
        config.maxKeepalive = 60
        let h = BrokerHarness(configuration: config)
        let c = h.connect("a", keepAlive: 61)
        #expect(h.take(c) == [.connack(ConnAck(sessionPresent: false, reason: .clientIdentifierNotValid))])
        #expect(h.closed(c))
        let ok = h.connect("b", keepAlive: 60)
        #expect(h.take(ok) == [accepted()])
    }

    @Test("[v5 MQTT-3.2.2-22] [v5 interp] v5 keep alive above max_keepalive (or 0) gets Server Keep Alive")
    func serverKeepAliveV5() throws {
        var config = BrokerConfiguration()
        config.maxKeepalive = 60
        let h = BrokerHarness(configuration: config)
        let a = h.connect("a", version: .v5, keepAlive: 100)
        let b = h.connect("b", version: .v5, keepAlive: 0)
        let c = h.connect("c", version: .v5, keepAlive: 30)
        #expect(connack(h.take(a))?.properties.serverKeepAlive == 60)
        #expect(connack(h.take(b))?.properties.serverKeepAlive == 60)
        #expect(connack(h.take(c))?.properties.serverKeepAlive == nil)
        h.advance(seconds: 89)
        #expect(!h.closed(a))
        h.advance(seconds: 2)
        #expect(h.closed(a) && h.closed(b))
        #expect(h.closed(c)) // its own 30 s keep alive expired at 45 s
    }

    @Test("[v5 MQTT-3.2.2-12] [v5 MQTT-3.2.2-13] [v5 MQTT-3.2.2-6] [v5 MQTT-3.2.2-7] Will QoS above maximum or Will Retain without retain support refused")
    func willRefusedV5() {
        var config = BrokerConfiguration()
        config.maximumQoS = .atMostOnce
        config.retainAvailable = false
        let h = BrokerHarness(configuration: config)
        let a = h.connect("a", version: .v5, will: will("w", qos: .atLeastOnce))
        let b = h.connect("b", version: .v5, will: will("w", retain: true))
        #expect(plain(h.take(a)) == [.connack(ConnAck(sessionPresent: false, reason: .qosNotSupported))])
        #expect(plain(h.take(b)) == [.connack(ConnAck(sessionPresent: false, reason: .retainNotSupported))])
        #expect(h.closed(a) && h.closed(b))
    }

    @Test("[v5 MQTT-4.12.0-1] an unsupported Authentication Method is refused with 0x8C")
    func authenticationMethodRefused() {
        let h = BrokerHarness()
        let c = h.connect("a", version: .v5, properties: v5 { $0.authenticationMethod = "SCRAM" })
        #expect(plain(h.take(c)) == [.connack(ConnAck(sessionPresent: false, reason: .badAuthenticationMethod))])
        #expect(h.closed(c))
    }

    @Test("[v311 MQTT-4.8.0-1] [v5 MQTT-3.14.0-1] first packet not CONNECT: close without any packet")
    func firstPacketNotConnect() {
        let h = BrokerHarness()
        let c = h.open()
        h.send(c, .subscribe(Subscribe(packetID: pid(1), entries: [.valid(Subscription(filter: filter("a"), qos: .atMostOnce))])))
        #expect(h.sent(c).isEmpty)
        #expect(h.closed(c))
    }

    @Test("[v311 MQTT-3.1.0-2] second CONNECT closes a 3.1.1 connection without a packet")
    func secondConnectV311() {
        let h = BrokerHarness()
        let c = h.connected("a")
        h.send(c, .connect(Connect(version: .v311, cleanStart: true, keepAlive: 0, clientID: "a")))
        #expect(h.take(c).isEmpty)
        #expect(h.closed(c))
    }

    @Test("[v5 MQTT-3.1.0-2] [v5 MQTT-3.2.0-2] [v5 MQTT-3.14.4-1] [v5 MQTT-3.14.4-2] second CONNECT gets DISCONNECT 0x82 and close")
    func secondConnectV5() {
        let h = BrokerHarness()
        let c = h.connected("a", version: .v5)
        h.send(c, .connect(Connect(version: .v5, cleanStart: true, keepAlive: 0, clientID: "a")))
        #expect(h.take(c) == [.disconnect(Disconnect(reason: .protocolError))])
        #expect(h.closed(c))
    }

    @Test("[v311 interp] no CONNECT within connectTimeout: closed silently")
    func connectTimeout() {
        let h = BrokerHarness()
        let c = h.open()
        h.advance(seconds: 9)
        #expect(!h.closed(c))
        h.advance(seconds: 1)
        #expect(h.closed(c))
        #expect(h.sent(c).isEmpty)
    }

    @Test("[v311 MQTT-3.1.4-5] after a refused CONNECT nothing more is processed")
    func ignoredAfterRefusal() {
        let h = BrokerHarness()
        let c = h.connect("", cleanStart: false)
        _ = h.take(c)
        h.send(c, .pingreq)
        #expect(h.sent(c).isEmpty)
    }

    @Test("[v311 MQTT-3.12.4-1] [v5 MQTT-3.12.4-1] PINGREQ gets PINGRESP")
    func ping() {
        let h = BrokerHarness()
        let a = h.connected("a")
        let b = h.connected("b", version: .v5)
        h.send(a, .pingreq)
        h.send(b, .pingreq)
        #expect(h.take(a) == [.pingresp])
        #expect(h.take(b) == [.pingresp])
    }

    @Test("[v5 interp] shutdown: v5 clients get DISCONNECT 0x8B, all closed, no Will")
    func shutdown() {
        let h = BrokerHarness()
        let watcher = h.connected("w")
        h.subscribe(watcher, "will/#")
        let a = h.connected("a", will: will("will/a"))
        let b = h.connected("b", version: .v5, will: will("will/b"))
        h.shutdown()
        #expect(h.take(b) == [.disconnect(Disconnect(reason: .serverShuttingDown))])
        #expect(h.take(a).isEmpty)
        #expect(h.take(watcher).isEmpty)
        #expect(h.closed(a) && h.closed(b) && h.closed(watcher))
        #expect(h.broker.statistics.connectedClients == 0)
    }
}
