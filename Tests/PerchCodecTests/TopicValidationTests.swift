import PerchCodec
import PerchTestKit
import Testing

@Suite("Topic validation")
struct TopicValidationTests {
    static let validFilters = ["a", "a/b", "#", "+", "a/#", "+/+", "/", "//", "a//b", "+/a/#", "/+", "$SYS/#",
                               "sport/tennis/+", "$shareholder/x", "\u{FEFF}", "a b/c"]

    @Test("[v311 MQTT-4.7.1-2] [v311 MQTT-4.7.1-3] [v5 MQTT-4.7.1-1] [v5 MQTT-4.7.1-2] valid filters are accepted unchanged",
          arguments: validFilters)
    func validFilter(_ string: String) throws {
        let filter = try #require(TopicFilter(validating: string))
        #expect(filter.string == string)
        #expect(filter.filter == string)
        #expect(filter.shareName == nil)
    }

    static let invalidFilters = ["", "a/#/b", "a+", "sport#", "#/a", "a/b#", "+a", "a/+b", "##", "a\u{0}b",
                                 "$share", "$share/", "$share/g", "$share/g/", "$share//a", "$share/g+/a", "$share/#/a",
                                 "$share/g/a/#/b"]

    @Test("[v311 MQTT-4.7.1-2] [v311 MQTT-4.7.1-3] [v311 MQTT-4.7.3-1] [v311 MQTT-4.7.3-2] [v5 MQTT-4.8.2-1] [v5 MQTT-4.8.2-2] invalid filters are refused",
          arguments: invalidFilters)
    func invalidFilter(_ string: String) {
        #expect(TopicFilter(validating: string) == nil)
    }

    @Test("[v5 MQTT-4.8.2-1] [v5 MQTT-4.8.2-2] a shared filter keeps its share name apart")
    func sharedFilter() throws {
        let filter = try #require(TopicFilter(validating: "$share/group/sensors/+/temp"))
        #expect(filter.shareName == "group")
        #expect(filter.filter == "sensors/+/temp")
        #expect(filter.string == "$share/group/sensors/+/temp")
        #expect(filter.hasWildcards)
        let all = try #require(TopicFilter(validating: "$share/g/#"))
        #expect(all.shareName == "g")
        #expect(all.filter == "#")
    }

    @Test("[v311 MQTT-4.7.3-3] [v5 MQTT-4.7.3-3] names and filters up to 65535 bytes, not beyond")
    func lengthLimit() throws {
        let longest = String(repeating: "a", count: 65_535)
        #expect(TopicFilter(validating: longest) != nil)
        #expect(try TopicName(validating: longest).string == longest)
        #expect(TopicFilter(validating: longest + "a") == nil)
        #expect(throws: DecodeError.self) { try TopicName(validating: longest + "a") }
    }

    @Test("[v311 MQTT-4.7.1-1] [v5 MQTT-4.7.0-1] [v311 MQTT-4.7.3-1] [v311 MQTT-4.7.3-2] [v5 MQTT-4.7.3-1] [v5 MQTT-4.7.3-2] topic names: wildcards and empty → 0x82, U+0000 → 0x81")
    func topicNames() throws {
        #expect(try TopicName(validating: "a/b").string == "a/b")
        #expect(try TopicName(validating: "/").string == "/")
        for bad in ["a/+", "#", "a+b"] {
            #expect { try TopicName(validating: bad) } throws: { ($0 as? DecodeError)?.reason == .protocolError }
        }
        #expect { try TopicName(validating: "") } throws: { ($0 as? DecodeError)?.reason == .protocolError }
        #expect { try TopicName(validating: "a\u{0}") } throws: { ($0 as? DecodeError)?.reason == .malformedPacket }
    }

    @Test("[v311 MQTT-4.7.3-4] [v5 MQTT-4.7.3-4] filters are kept byte-exact: no Unicode normalisation")
    func noNormalisation() throws {
        let composed = "caf\u{E9}"          // é as one scalar
        let decomposed = "cafe\u{301}"      // e + combining acute
        let first = try #require(TopicFilter(validating: composed))
        let second = try #require(TopicFilter(validating: decomposed))
        #expect(Array(first.string.utf8) != Array(second.string.utf8))
        #expect(Array(second.filter.utf8) == Array(decomposed.utf8))
        // `$share` followed by a combining mark is still the byte prefix `$share`, not a shared filter.
        #expect(TopicFilter(validating: "$share\u{301}/g/a")?.shareName == nil)
    }

    @Test("[v311 interp] [v5 interp] SUBSCRIBE keeps a syntactically invalid filter as .invalidFilter, others valid")
    func subscribeKeepsInvalidFilter() throws {
        var decoder = FrameDecoder()
        decoder.append(Wire.packet(0x82, [0, 7, 0] + Wire.string("a+") + [1] + Wire.string("ok/#") + [2]
                                         + Wire.string("$share/g") + [0]))
        let packet = try Packet(frame: try #require(try decoder.next()), version: .v5)
        guard case let .subscribe(subscribe) = packet else {
            Issue.record("not a SUBSCRIBE")
            return
        }
        #expect(subscribe.entries == [
            .invalidFilter("a+"),
            .valid(Subscription(filter: try #require(TopicFilter(validating: "ok/#")), qos: .exactlyOnce)),
            .invalidFilter("$share/g"),
        ])
    }
}
