#if canImport(Glibc)
import Glibc
#endif
import Logging
import PerchBroker

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
                guard connections.count < connectionLimit else {
                    close(fd)
                    logger.notice("Refused connection from \(address.description): connection limit \(self.connectionLimit) reached")
                    continue
                }
                open(fd: fd, peer: address.description, epoll: epoll, now: now)
            case .failure(let error):
                // A connection that died in the backlog (ECONNABORTED, EPROTO) only costs
                // that connection; out of descriptors or memory pauses accepting.
                guard error.isResourceShortage else { continue }
                logger.warning("\(listeners[index].name): \(error)")
                pauseListeners()
                return
            }
        }
    }

    func open(fd: Int32, peer: String, epoll: Epoll, now: Timestamp) {
        let maxPacket = configuration.broker.maxPacketSize == 0 ? 268_435_460 : configuration.broker.maxPacketSize
        let id = connections.insert { id in
            Connection(id: id, fd: fd, peer: peer, maximumPacketSize: maxPacket, mask: Epoll.readable)
        }
        epoll.update(Epoll.add, fd, mask: Epoll.readable, token: id.rawValue)
        if configuration.connectionMessages {
            logger.notice("New connection from \(peer)")
        }
        broker.handle(.opened(id), now: now, into: &actions)
    }

    /// Out of descriptors (EMFILE) or another accept failure: stop watching the listeners
    /// until a connection closes, instead of spinning on a level-triggered listener.
    func pauseListeners() {
        guard !listenersPaused, let epoll else { return }
        listenersPaused = true
        for (index, listener) in listeners.enumerated() {
            epoll.update(Epoll.modify, listener.fd, mask: 0, token: UInt64.max - UInt64(index))
        }
    }

    func resumeListeners() {
        guard listenersPaused, let epoll else { return }
        listenersPaused = false
        for (index, listener) in listeners.enumerated() {
            epoll.update(Epoll.modify, listener.fd, mask: Epoll.readable, token: UInt64.max - UInt64(index))
        }
    }
}
