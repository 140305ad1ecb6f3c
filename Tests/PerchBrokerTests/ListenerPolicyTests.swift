import PerchBroker
import PerchCodec
import PerchTestKit
import Testing

/// Per-listener policy the core applies: `mount_point` and the User Name taken from the
/// TLS / PSK identity (`use_identity_as_username`), on the virtual clock.
@Suite("Listener policy")
struct ListenerPolicyTests {
    let h = BrokerHarness()
    let mounted = ListenerPolicy(mountPoint: "site1/")
    let identity = ListenerPolicy(usernameFromIdentity: true)

    /// Opens a connection under `policy` and completes CONNECT.
    func connect(_ clientID: String, policy: ListenerPolicy, version: ProtocolVersion = .v311,
                 will: Will? = nil, username: String? = nil) -> ConnectionID {
        let c = h.open(policy: policy)
        h.send(c, .connect(Connect(version: version, cleanStart: true, keepAlive: 0, clientID: clientID,
                                   will: will, username: username)))
        return c
    }

    @Test("[v5 interp] mount_point: a mounted client's PUBLISH lands under the prefix, and a mounted subscriber sees it without")
    func mountPointBothWays() throws {
        let plain = h.connected("plain")
        h.subscribe(plain, "#")
        let device = connect("device", policy: mounted)
        _ = h.take(device)
        h.subscribe(device, "t/+")
        h.publish(device, "t/1", "from device")
        #expect(h.takePublishes(plain).map(\.topic) == ["site1/t/1"])
        #expect(h.takePublishes(device).map(\.topic) == ["t/1"], "its own subscription is mounted too")
        h.publish(plain, "site1/t/2", "from plain")
        h.publish(plain, "other/t/3", "outside the mount point")
        #expect(h.takePublishes(device).map(\.topic) == ["t/2"])
    }

    @Test("[v5 interp] mount_point: retained messages, shared subscriptions, UNSUBSCRIBE and the Will are mounted")
    func mountPointEverywhere() throws {
        let plain = h.connected("plain")
        h.publish(plain, "site1/r", "kept", retain: true)
        let device = connect("device", policy: mounted, version: .v5)
        _ = h.take(device)
        h.subscribe(device, "r")
        #expect(h.takePublishes(device).map(\.topic) == ["r"])
        h.subscribe(device, "s/#", id: 2, share: "g")
        h.publish(plain, "site1/s/x")
        #expect(h.takePublishes(device).map(\.topic) == ["s/x"])
        h.send(device, .unsubscribe(Unsubscribe(packetID: try #require(PacketID(3)), filters: ["$share/g/s/#"])))
        #expect(h.take(device) == [.unsuback(UnsubAck(packetID: try #require(PacketID(3)), reasons: [.success]))])
        h.publish(plain, "site1/s/y")
        #expect(h.takePublishes(device).isEmpty)
        h.subscribe(plain, "site1/will", id: 4)
        _ = h.take(plain)
        let willing = connect("willing", policy: mounted,
                              will: Will(topic: TopicName(unchecked: "will"), payload: [1], qos: .atMostOnce, retain: false))
        h.drop(willing)
        #expect(h.takePublishes(plain).map(\.topic) == ["site1/will"])
    }

    @Test("[v5 interp] use_identity_as_username: the transport's identity replaces the CONNECT's User Name")
    func identityIsUsername() throws {
        let recording = RecordingAuthorizer()
        let h = BrokerHarness(authorizer: recording)
        let c = h.open(policy: identity)
        h.handle(.identified(c, "device-1"))
        h.send(c, .connect(Connect(version: .v5, cleanStart: true, keepAlive: 0, clientID: "c1",
                                   username: "claimed", password: Array("secret".utf8))))
        #expect(h.take(c).first.map { if case .connack(let ack) = $0 { ack.reason == .success } else { false } } == true)
        h.publish(c, "t", qos: .atLeastOnce, id: 1)
        #expect(recording.usernames.value == ["device-1"])
    }

    @Test("[v5 MQTT-3.2.2-6] [v5 MQTT-3.2.2-8] [v311 MQTT-3.2.2-4] use_identity_as_username without an identity: CONNACK 0x86 (3.1.1: 0x04) and close",
          arguments: [ProtocolVersion.v311, .v5])
    func noIdentityRefused(version: ProtocolVersion) throws {
        let c = h.open(policy: identity)
        h.handle(.identified(c, nil))
        h.send(c, .connect(Connect(version: version, cleanStart: true, keepAlive: 0, clientID: "c1", username: "u")))
        let sent = h.take(c)
        guard case .connack(let ack) = try #require(sent.first) else {
            Issue.record("expected CONNACK, got \(sent)")
            return
        }
        #expect(ack.reason == .badUserNameOrPassword && !ack.sessionPresent)
        var wire: [UInt8] = []
        sent[0].encode(version: version, into: &wire)
        #expect(wire[3] == (version == .v5 ? 0x86 : 0x04))
        #expect(h.closed(c))
    }
}

/// Records the User Names the broker asks about.
final class RecordingAuthorizer: Authorizer, @unchecked Sendable {
    final class Box: @unchecked Sendable { var value: [String?] = [] }
    let usernames = Box()
    func mayPublish(clientID: String, username: String?, topic: String) -> Bool {
        usernames.value.append(username)
        return true
    }
    func maySubscribe(clientID: String, username: String?, filter: String) -> Bool { true }
}
