#if canImport(Glibc)
import Glibc
#endif
import Logging
import PerchBroker
import PerchStreams

extension Server {
    /// Accepts every pending connection of one listener (until EAGAIN).
    func acceptAll(listener index: Int, now: Timestamp) {
        guard let epoll else { return }
        let listenerFD = listeners[index].fd
        while true {
            switch Socket.accept(listenerFD) {
            case .success(nil):
                return
            case .success(let (fd, address)?):
                let peer = listeners[index].configuration.unixSocketPath ?? address.description
                let own = listeners[index].configuration.maxConnections
                guard connections.count < connectionLimit, own < 0 || listeners[index].connections < own else {
                    close(fd)
                    let limit = connections.count < connectionLimit ? own : connectionLimit
                    logger.notice("Refused connection from \(peer) on \(listeners[index].name): connection limit \(limit) reached")
                    continue
                }
                open(fd: fd, peer: peer, listener: index, epoll: epoll, now: now)
            case .failure(let error):
                // A connection that died in the backlog (ECONNABORTED, EPROTO) only costs
                // that connection; out of descriptors or memory pauses accepting.
                guard error.isResourceShortage else { continue }
                logger.warning("\(listeners[index].name): \(error)")
                listeners.pause(epoll: epoll)
                return
            }
        }
    }

    func open(fd: Int32, peer: String, listener index: Int, epoll: Epoll, now: Timestamp) {
        let maxPacket = configuration.broker.maxPacketSize == 0 ? 268_435_460 : configuration.broker.maxPacketSize
        let stream = makeStream(listener: index)
        let id = connections.insert { id in
            Connection(id: id, fd: fd, peer: peer, maximumPacketSize: maxPacket, mask: Epoll.readable,
                       listener: UInt16(index), stream: stream)
        }
        listeners[index].connections += 1
        epoll.update(Epoll.add, fd, mask: Epoll.readable, token: id.rawValue)
        if configuration.connectionMessages {
            let port = listeners[index].port
            logger.notice("New connection from \(peer) on \(port == 0 ? listeners[index].name : "port \(port)").")
        }
        broker.handle(.opened(id, listeners[index].configuration.policy), now: now, into: &actions)
    }

    /// The stream layers a connection of listener `index` speaks through; nil for plain MQTT.
    func makeStream(listener index: Int) -> StreamStack? {
        let listener = listeners[index]
        let webSocket = listener.configuration.protocol == .websockets
            ? WebSocketServer(maxHandshakeBytes: configuration.websocketsHeadersSize) : nil
        let tls = listener.tls.map { TLSSession(context: $0) }
        guard tls != nil || webSocket != nil else { return nil }
        return StreamStack(tls: tls, webSocket: webSocket)
    }

    func resumeListeners() {
        guard listeners.paused, let epoll else { return }
        listeners.resume(epoll: epoll)
    }
}
