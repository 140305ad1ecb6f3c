import Logging
import PerchBroker
import PerchStreams

/// Bytes through a connection's stream layers (TLS, WebSocket) on their way to the framer.
extension Server {
    /// Hands what the socket read to the connection's layers, or straight to the framer for
    /// plain MQTT. What the layers answer themselves goes out with the batch. Returns false
    /// when the connection stopped reading.
    func receive(_ id: ConnectionID, _ bytes: UnsafeRawBufferPointer, now: Timestamp) -> Bool {
        guard let index = connections.index(forKey: id) else { return false }
        guard let stream = connections[position: index].stream else { return feed(id, bytes, now: now) }
        streamInput.removeAll(keepingCapacity: true)
        let wireBefore = connections[position: index].output.count
        let status = stream.receive(bytes, up: &streamInput, down: &connections[position: index].output)
        if connections[position: index].output.count != wireBefore { touch(id) }
        if !connections[position: index].identified, stream.tls?.isEstablished == true {
            identify(id, at: index, stream: stream, now: now)
        }
        if !streamInput.isEmpty {
            let open = streamInput.withUnsafeBytes { feed(id, $0, now: now) }
            guard open else { return false }
        }
        guard case .close(let reason) = status else { return true }
        streamFailed(id, reason: reason, now: now)
        return false
    }

    /// The TLS handshake finished: log it, and give the broker the identity its listener
    /// takes the User Name from (`use_identity_as_username`, `use_subject_as_username`).
    func identify(_ id: ConnectionID, at index: Int, stream: StreamStack, now: Timestamp) {
        connections[position: index].identified = true
        guard let peer = stream.tls?.peer else { return }
        let listener = listeners[Int(connections[position: index].listener)].configuration
        logger.debug("Client \(connections[position: index].peer) negotiated \(peer.protocolVersion ?? "TLS") \(peer.cipher ?? "")")
        let identity: String?
        switch listener.identity {
        case .none: return
        case .commonName: identity = peer.pskIdentity ?? peer.commonName
        case .subject: identity = peer.pskIdentity ?? peer.subject
        }
        broker.handle(.identified(id, identity), now: now, into: &actions)
    }

    /// A layer gave up (a failed TLS handshake, a WebSocket protocol error, a peer's close):
    /// the broker learns the connection is gone, its last words (alert, close frame, HTTP
    /// error) are flushed, then the socket closes. Nobody else is affected.
    func streamFailed(_ id: ConnectionID, reason: String, now: Timestamp) {
        guard let index = connections.index(forKey: id) else { return }
        let connection = connections[position: index]
        logger.notice("Client \(describe(connection)) closed: \(reason)")
        connections[position: index].state = .closing
        connections[position: index].connected = false // logged here, not again at the close
        updateInterest(at: index)
        broker.handle(.closed(id), now: now, into: &actions)
        touch(id)
    }
}
