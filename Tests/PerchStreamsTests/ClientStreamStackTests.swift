import PerchStreams
import PerchTestKit
import Testing

/// The client side of the layers against the server side, in memory.
@Suite("Client stream stack")
struct ClientStreamStackTests {
    /// A wss client and server, upgraded: the wire bytes passed both ways until silence.
    static func upgraded(_ pki: TestCertificates) throws -> (ClientStreamStack, StreamStack) {
        let client = ClientStreamStack(tls: try TLSContext(.testClient(pki)), webSocketKey: [UInt8](repeating: 7, count: 16))
        let server = StreamStack(tls: TLSSession(context: try TLSContext(.testServer(pki))), webSocket: WebSocketServer())
        var toServer: [UInt8] = []
        client.start(into: &toServer)
        for _ in 0..<10 where !toServer.isEmpty {
            var up: [UInt8] = [], toClient: [UInt8] = []
            #expect(toServer.withUnsafeBytes { server.receive($0, up: &up, down: &toClient) } == .open)
            toServer = []
            #expect(toClient.withUnsafeBytes { client.receive($0, up: &up, wire: &toServer) } == .open)
        }
        return (client, server)
    }

    @Test("[v5 MQTT-3.2.2-7] [v5 MQTT-6.0.0-1] a refusing CONNACK that arrives with the close frame and close_notify in one read still goes up")
    func goodbyeCarriesLastPacket() throws {
        let (client, server) = try Self.upgraded(try TestCertificates.shared())
        #expect(client.isReady)
        let connack: [UInt8] = [0x20, 3, 0, 0x87, 0] // v5 CONNACK 0x87, no properties
        server.pending = connack
        var wire: [UInt8] = []
        server.finish(into: &wire) // the CONNACK, a WebSocket close frame and a TLS close_notify
        var up: [UInt8] = [], answer: [UInt8] = []
        let status = wire.withUnsafeBytes { client.receive($0, up: &up, wire: &answer) }
        #expect(up == connack)
        #expect(status != .open)
    }
}
