import Glibc
import PerchStreams

/// Socket readiness, reads until EAGAIN and the one write per touched socket.
extension Bench {
    /// Records an epoll edge: writability completes a connect or releases pending output;
    /// readability queues the client for `readReady`.
    func onEvent(_ client: Int, _ events: UInt32) {
        guard clients[client].state != .failed else { return }
        if events & (EventLoop.error | EventLoop.hangUp) != 0 && clients[client].state == .connecting {
            fail(client)
            return
        }
        if events & EventLoop.writable != 0 {
            clients[client].writable = true
            if clients[client].state == .connecting { connected(client) }
            if !clients[client].outbound.isEmpty || !clients[client].wire.isEmpty { markTouched(client) }
        }
        if events & (EventLoop.readable | EventLoop.readHangUp | EventLoop.hangUp | EventLoop.error) != 0 {
            stillReadable.append(client)
        }
    }

    /// Reads every queued client (each at most 16 reads of 64 kB per iteration).
    func readReady() {
        let ready = stillReadable
        stillReadable.removeAll(keepingCapacity: true)
        for client in ready where clients[client].state != .failed {
            read(client)
        }
    }

    private func read(_ client: Int) {
        var buffer: [UInt8] = []
        swap(&buffer, &clients[client].inbound)
        var reads = 0
        var open = true
        while reads < 16 {
            let count = Glibc.read(clients[client].fd, scratch.baseAddress, scratch.count)
            if count > 0 {
                let bytes = UnsafeRawBufferPointer(rebasing: scratch[0..<count])
                if let stream = clients[client].stream {
                    let before = clients[client].wire.count
                    guard stream.receive(bytes, up: &buffer, wire: &clients[client].wire) == .open else { open = false; break }
                    if clients[client].wire.count != before || !clients[client].outbound.isEmpty { markTouched(client) }
                } else {
                    buffer.append(contentsOf: bytes)
                }
                reads += 1
                // A short read emptied the socket; with EPOLLET any later byte brings a new
                // edge, so the extra read that would only return EAGAIN is skipped.
                if count < scratch.count { break }
                continue
            }
            if count < 0 && errno == EINTR { continue }
            open = count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
            break
        }
        if reads == 16 { stillReadable.append(client) }
        let consumed = buffer.withUnsafeBytes { process(client, $0) }
        if consumed == buffer.count {
            buffer.removeAll(keepingCapacity: phase == .running)
        } else if consumed > 0 {
            buffer.removeFirst(consumed)
        }
        if clients[client].state != .failed { swap(&buffer, &clients[client].inbound) }
        if !open { fail(client) }
    }

    /// One write per touched client; a short write or EAGAIN waits for the next EPOLLOUT edge.
    func flush() {
        for client in touched {
            clients[client].touched = false
            guard clients[client].writable, clients[client].state != .failed else { continue }
            if let stream = clients[client].stream {
                var outbound = clients[client].outbound, wire = clients[client].wire
                clients[client].outbound = []; clients[client].wire = []
                stream.seal(&outbound, into: &wire)
                clients[client].outbound = outbound; clients[client].wire = wire
                writeWire(client)
                continue
            }
            let fd = clients[client].fd
            let written = clients[client].outbound.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                    clients[client].writable = false
                } else {
                    fail(client)
                }
                continue
            }
            if written == clients[client].outbound.count {
                clients[client].outbound.removeAll(keepingCapacity: true)
            } else {
                clients[client].outbound.removeFirst(written)
                clients[client].writable = false
            }
        }
        touched.removeAll(keepingCapacity: true)
    }

    /// One write of a layered client's sealed bytes.
    private func writeWire(_ client: Int) {
        guard !clients[client].wire.isEmpty else { return }
        let fd = clients[client].fd
        let written = clients[client].wire.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { clients[client].writable = false } else { fail(client) }
        } else if written == clients[client].wire.count {
            clients[client].wire.removeAll(keepingCapacity: true)
        } else {
            clients[client].wire.removeFirst(written)
            clients[client].writable = false
        }
    }

    /// Closes a connection for good. During setup it counts as failed; afterwards as a disconnect.
    func fail(_ client: Int) {
        guard clients[client].state != .failed else { return }
        switch clients[client].state {
        case .connecting, .awaitingConnAck, .awaitingSubAck:
            pending -= 1
            failedCount += 1
            lastProgress = now
        case .ready:
            stats.disconnects += 1
        case .failed:
            break
        }
        clients[client].state = .failed
        _ = Glibc.close(clients[client].fd)
        clients[client].inbound = []
        clients[client].outbound = []
        clients[client].wire = []
        clients[client].stream = nil
    }

    /// Resets every connection (SO_LINGER 0): the broker discards what it has not read yet,
    /// so a backlog of this run cannot spill into the next scenario's topics.
    func resetAll() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        for client in clients.indices where clients[client].state != .failed {
            setsockopt(clients[client].fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            _ = Glibc.close(clients[client].fd)
            clients[client].state = .failed
        }
    }
}
