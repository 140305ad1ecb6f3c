import PerchStreams
import PerchTestKit

/// A client and a server `TLSSession` wired back to back in memory: every record one side
/// writes is handed to the other until both fall silent (no socket, no thread).
struct TLSPair {
    let client: TLSSession
    let server: TLSSession
    /// Plaintext each side has received so far.
    var atServer: [UInt8] = []
    var atClient: [UInt8] = []
    /// The first `.close` each side reported.
    var serverStatus = StreamStatus.open
    var clientStatus = StreamStatus.open
    /// Every ciphertext byte the client sent (for tests that replay or cut it).
    var clientWire: [UInt8] = []

    init(server: TLSConfiguration, client: TLSConfiguration) throws {
        self.server = TLSSession(context: try TLSContext(server))
        self.client = TLSSession(context: try TLSContext(client))
    }

    /// Starts the handshake and pumps until nothing moves.
    mutating func handshake() {
        var hello: [UInt8] = []
        client.start(down: &hello)
        pump(toServer: hello)
    }

    /// Delivers `bytes` to the server and keeps passing answers both ways until silence.
    mutating func pump(toServer first: [UInt8]) {
        var toServer = first
        var rounds = 0
        while !toServer.isEmpty && rounds < 20 {
            rounds += 1
            clientWire += toServer
            var toClient: [UInt8] = []
            let s = server.receive(toServer, up: &atServer, down: &toClient)
            if serverStatus == .open { serverStatus = s }
            toServer = []
            guard !toClient.isEmpty else { break }
            let c = client.receive(toClient, up: &atClient, down: &toServer)
            if clientStatus == .open { clientStatus = c }
        }
    }

    /// Client plaintext to the server, through the records.
    mutating func clientSends(_ plaintext: [UInt8]) {
        var records: [UInt8] = []
        client.send(plaintext, down: &records)
        pump(toServer: records)
    }

    /// Server plaintext to the client; returns the records the server wrote.
    @discardableResult
    mutating func serverSends(_ plaintext: [UInt8]) -> [UInt8] {
        var records: [UInt8] = []
        server.send(plaintext, down: &records)
        var answer: [UInt8] = []
        let c = client.receive(records, up: &atClient, down: &answer)
        if clientStatus == .open { clientStatus = c }
        pump(toServer: answer)
        return records
    }

    var serverReason: String? {
        if case .close(let reason) = serverStatus { return reason }
        return nil
    }

    var clientReason: String? {
        if case .close(let reason) = clientStatus { return reason }
        return nil
    }
}
