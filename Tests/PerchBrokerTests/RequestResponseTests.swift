import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

@Suite("Request / response, redirects, Content Type")
struct RequestResponseTests {
    @Test("[v5 MQTT-3.1.2-28] Response Information only when asked for and configured")
    func responseInformation() throws {
        var config = BrokerConfiguration()
        config.responseInformation = "reply/"
        let h = BrokerHarness(configuration: config)
        let asked = h.connect("dev1", version: .v5, properties: v5 { $0.requestResponseInformation = 1 })
        #expect(try #require(connack(h.take(asked))).properties.responseInformation == "reply/dev1")
        let silent = h.connect("dev2", version: .v5, properties: v5 { $0.requestResponseInformation = 0 })
        #expect(try #require(connack(h.take(silent))).properties.responseInformation == nil)
        let absent = h.connect("dev3", version: .v5)
        #expect(try #require(connack(h.take(absent))).properties.responseInformation == nil)
        let unconfigured = BrokerHarness()
        let c = unconfigured.connect("dev4", version: .v5, properties: v5 { $0.requestResponseInformation = 1 })
        #expect(try #require(connack(unconfigured.take(c))).properties.responseInformation == nil)
    }

    @Test("[v5 MQTT-3.3.2-14] a Response Topic with a wildcard (or empty) is a Protocol Error: DISCONNECT 0x82")
    func responseTopicWildcard() {
        for bad in ["reply/+", "reply/#", ""] {
            let h = BrokerHarness()
            let s = h.connected("s")
            h.subscribe(s, "t")
            let p = h.connected("p", version: .v5)
            h.publish(p, "t", properties: v5 { $0.responseTopic = bad })
            #expect(disconnectReason(h.take(p)) == .protocolError)
            #expect(h.closed(p))
            #expect(h.takePublishes(s).isEmpty)
        }
    }

    @Test("[v5 MQTT-3.3.2-15] [v5 MQTT-3.3.2-16] [v5 MQTT-3.3.2-20] request with Response Topic and Correlation Data reaches the responder unchanged; the answer comes back")
    func requestResponseRoundTrip() throws {
        let h = BrokerHarness()
        let responder = h.connected("responder", version: .v5)
        h.subscribe(responder, "service/req")
        let requester = h.connected("requester", version: .v5)
        h.subscribe(requester, "reply/requester")
        let request = v5 {
            $0.responseTopic = "reply/requester"
            $0.correlationData = [0, 1, 2, 255]
            $0.contentType = "application/json"
            $0.payloadFormatIndicator = 1
        }
        h.publish(requester, "service/req", "{}", properties: request)
        let got = try #require(h.takePublishes(responder).first)
        #expect(got.properties == request)
        h.publish(responder, try #require(got.properties.responseTopic), "answer",
                  properties: v5 { $0.correlationData = got.properties.correlationData })
        let answer = try #require(h.takePublishes(requester).first)
        #expect(answer.properties.correlationData == [0, 1, 2, 255])
        #expect(answer.payload == bytes("answer"))
    }

    @Test("[v5 interp] redirect: every v5 CONNECT gets 0x9C / 0x9D with Server Reference, then close; 3.1.1 gets 0x03")
    func redirect() throws {
        for (mode, code) in [(ServerRedirect.useAnotherServer, ReasonCode.useAnotherServer), (.serverMoved, .serverMoved)] {
            var config = BrokerConfiguration()
            config.redirect = mode
            config.serverReference = "other.example:1883"
            let h = BrokerHarness(configuration: config)
            let c = h.connect("a", version: .v5)
            let ack = try #require(connack(h.take(c)))
            #expect(ack.reason == code)
            #expect(ack.properties.serverReference == "other.example:1883")
            #expect(h.closed(c))
            let old = h.connect("b")
            #expect(try #require(connack(h.take(old))).reason.isFailure)
            #expect(h.closed(old))
        }
    }

    @Test("[v5 interp] Server Keep Alive: a client above max_keepalive (or 0) is told the broker's value and held to it")
    func serverKeepAlive() throws {
        var config = BrokerConfiguration()
        config.maxKeepalive = 30
        let h = BrokerHarness(configuration: config)
        let c = h.connect("a", version: .v5, keepAlive: 0)
        #expect(try #require(connack(h.take(c))).properties.serverKeepAlive == 30)
        h.advance(seconds: 46)
        #expect(disconnectReason(h.take(c)) == .keepAliveTimeout)
    }
}

@Suite("Will Response Topic")
struct WillResponseTopicTests {
    @Test("[v5 interp] §3.1.3.2.5 a Will Response Topic with a wildcard refuses the CONNECT with 0x82; a valid one is forwarded")
    func willResponseTopic() throws {
        let h = BrokerHarness()
        var bad = will("w")
        bad.properties.responseTopic = "reply/#"
        let refused = h.connect("a", version: .v5, will: bad)
        #expect(try #require(connack(h.take(refused))).reason == .protocolError)
        #expect(h.closed(refused))
        let watcher = h.connected("watcher", version: .v5)
        h.subscribe(watcher, "w")
        var good = will("w")
        good.properties.responseTopic = "reply/a"
        good.properties.correlationData = [7]
        h.drop(h.connected("b", version: .v5, will: good))
        let published = try #require(h.takePublishes(watcher).first)
        #expect(published.properties.responseTopic == "reply/a" && published.properties.correlationData == [7])
    }
}
