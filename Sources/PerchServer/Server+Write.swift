#if canImport(Glibc)
import Glibc
#endif
import Logging
import PerchBroker

extension Server {
    /// Writes every touched connection's output with one `sendmsg` each; closes the ones
    /// the broker closed once their output is out.
    func flushTouched(now: Timestamp) {
        var i = 0
        while i < touched.count {
            let id = touched[i]
            i += 1
            guard let index = connections.index(forKey: id) else { continue }
            connections[position: index].touched = false
            flush(id, at: index, now: now)
        }
        touched.removeAll(keepingCapacity: true)
    }

    func flush(_ id: ConnectionID, at index: Int, now: Timestamp) {
        var rounds = 0
        while true {
            if let stream = connections[position: index].stream {
                // The batch's MQTT output, framed and encrypted once; a closing connection's
                // layers add their goodbye (WebSocket close, TLS close_notify) after the last byte.
                if connections[position: index].state == .closing, connections[position: index].deferred == nil {
                    stream.finish(into: &connections[position: index].output)
                } else {
                    stream.seal(into: &connections[position: index].output)
                }
            }
            if connections[position: index].pendingWire > 0 {
                guard write(at: index) else {
                    closeSocket(id, reason: "connection lost", now: now)
                    return
                }
            }
            // A streaming payload: its next pieces while the socket takes them (bounded per
            // flush; epoll reports the socket writable again).
            rounds += 1
            guard rounds < 64, pumpDeferred(at: index) else { break }
        }
        updateCongestion(id, at: index, now: now)
        noteIfDrained(id, at: index)
        if connections[position: index].state == .closing {
            guard connections[position: index].pendingWire > 0 || connections[position: index].deferred != nil else {
                closeSocket(id, reason: nil, now: now)
                return
            }
            if connections[position: index].closeDeadline == nil {
                connections[position: index].closeDeadline = now.adding(milliseconds: configuration.closeTimeout)
                lingering.append(id)
            }
        }
        updateInterest(at: index)
    }

    /// Writes as much pending output as the socket takes. Returns false on a write error.
    func write(at index: Int) -> Bool {
        let fd = connections[position: index].fd
        let start = connections[position: index].outputStart
        let written = connections[position: index].output.withUnsafeMutableBytes { raw -> Int in
            var vector = iovec(iov_base: raw.baseAddress! + start, iov_len: raw.count - start)
            return withUnsafeMutablePointer(to: &vector) { vector in
                var message = msghdr()
                message.msg_iov = vector
                message.msg_iovlen = 1
                while true {
                    let n = sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
                    if n >= 0 { return n }
                    if errno == EINTR { continue }
                    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1
                }
            }
        }
        guard written >= 0 else { return false }
        connections[position: index].outputStart += written
        if connections[position: index].pendingWire == 0 {
            // Idle connections hold no output buffer.
            connections[position: index].output = []
            connections[position: index].outputStart = 0
        } else if connections[position: index].outputStart >= 64 * 1024 {
            connections[position: index].output.removeFirst(connections[position: index].outputStart)
            connections[position: index].outputStart = 0
        }
        return true
    }

    /// Registers the interest the connection needs now (EPOLLOUT only while output pends).
    func updateInterest(at index: Int) {
        let wanted = connections[position: index].wantedMask
        guard wanted != connections[position: index].registeredMask, let epoll else { return }
        connections[position: index].registeredMask = wanted
        epoll.update(Epoll.modify, connections[position: index].fd, mask: wanted,
                     token: connections[position: index].id.rawValue)
    }

    /// Closes the socket and forgets the connection. Reports `.closed` to the broker unless
    /// the broker closed it itself. `reason` (for connection messages) is nil when the
    /// close was logged already or needs no line.
    func closeSocket(_ id: ConnectionID, reason: String?, now: Timestamp) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        epoll?.update(Epoll.delete, connection.fd, mask: 0, token: 0)
        discardInput(connection.fd)
        close(connection.fd)
        if Int(connection.listener) < listeners.count { listeners[Int(connection.listener)].connections -= 1 }
        if connection.closeDeadline != nil { lingering.removeAll { $0 == id } }
        if connection.congestionDeadline != nil { endCongestion(id) }
        if configuration.connectionMessages && connection.connected {
            logger.notice("Client \(describe(connection)) \(reason ?? "disconnected")")
        }
        if connection.state != .closing {
            broker.handle(.closed(id), now: now, into: &actions)
        }
        resumeListeners()
    }

    /// Reads and drops what the peer sent and we did not read, so that closing does not
    /// turn into a reset that discards our last packets (a DISCONNECT) at the peer.
    func discardInput(_ fd: Int32) {
        for _ in 0..<4 where Glibc.read(fd, readBuffer.baseAddress, readBuffer.count) > 0 {}
    }
}
