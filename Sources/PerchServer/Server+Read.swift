#if canImport(Glibc)
import Glibc
#endif
import PerchBroker
import PerchCodec

extension Server {
    /// The epoll fd is readable: take every ready event, accept and read, then apply the
    /// batch's actions and flush once. While traffic flows, linger up to a
    /// millisecond for the next events: each Dispatch wakeup costs 2-3 thread hops
    /// (DESIGN.md, "The transport"), a short wait on the queue's thread costs none.
    func handleReadiness() {
        guard let epoll, !isShuttingDown else { return }
        var count = epoll.poll(timeout: 0)
        var lingers = 0
        while count > 0 {
            let now = MonotonicClock.now()
            handleEvents(count, epoll: epoll, now: now)
            finishBatch(now: now)
            resumeBufferedInput(now: now)
            guard lingers < maxLingers, !isShuttingDown else { return }
            lingers += 1
            count = epoll.linger(nanoseconds: lingerNanoseconds)
        }
    }

    /// Handles `count` events of the last wait, then polls again while the event buffer
    /// came back full (bounded, so timers and other work are not starved).
    func handleEvents(_ count: Int, epoll: Epoll, now: Timestamp) {
        var count = count
        var rounds = 0
        while true {
            for index in 0..<count {
                let (mask, token) = epoll.event(index)
                handleEvent(mask: mask, token: token, now: now)
            }
            rounds += 1
            guard count == epoll.capacity, rounds < 4 else { return }
            count = epoll.poll(timeout: 0)
        }
    }

    func handleEvent(mask: UInt32, token: UInt64, now: Timestamp) {
        if token == Server.syncToken {
            // The fsync finished: the batch's end releases its output (`completeSync`, which
            // empties the pipe). A byte left without a job would keep epoll ready: drop it.
            if commit.syncWorker?.isRunning == false { commit.syncWorker?.drainWake() }
            return
        }
        if let listener = listeners.index(ofToken: token) {
            acceptAll(listener: listener, now: now)
            return
        }
        let id = ConnectionID(token)
        // Only the fd and state: a copy of the whole Connection would share its buffers and
        // make the next append to them copy everything (copy-on-write).
        guard let index = connections.index(forKey: id) else { return }
        let (fd, state) = (connections[position: index].fd, connections[position: index].state)
        if mask & Epoll.writable != 0 { touch(id) }
        if mask & (Epoll.readable | Epoll.error | Epoll.hangUp) != 0 {
            switch state {
            case .open:
                // A hang-up or error is read at once (EPOLLHUP is reported even while backpressure.paused).
                guard mask & (Epoll.error | Epoll.hangUp) != 0 || !pauseInputIfHeldBack(id, at: index) else { return }
                read(id, fd: fd, now: now)
            case .inputStopped, .closing:
                // Not reading any more; a hang-up or error ends it.
                if mask & (Epoll.error | Epoll.hangUp) != 0 { closeSocket(id, reason: "connection lost", now: now) }
            }
        }
    }

    /// Reads one connection until EAGAIN, a short read, or its per-wakeup budget.
    func read(_ id: ConnectionID, fd: Int32, now: Timestamp) {
        var budget = readBudget
        while budget > 0 {
            // A batch applied mid-read may have backpressure.congested a reader: stop, epoll reports us again.
            if isInputHeldBack, connections[id]?.congestionDeadline == nil { return }
            let wanted = min(readBuffer.count, budget)
            let n = Glibc.read(fd, readBuffer.baseAddress, wanted)
            if n > 0 {
                budget -= n
                batchBytes += n
                guard receive(id, UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]), now: now) else { return }
                if batchBytes >= batchByteLimit {
                    // Bounded input per batch too, so a backpressure.congested reader is noticed early.
                    finishBatch(now: now)
                    guard connections[id]?.state == .open else { return }
                }
                if n < wanted { return }
            } else if n == 0 {
                closeSocket(id, reason: "closed its connection", now: now)
                return
            } else if errno == EINTR {
                continue
            } else {
                if errno != EAGAIN && errno != EWOULDBLOCK { closeSocket(id, reason: "connection lost", now: now) }
                return
            }
        }
    }

    /// Frames and decodes `bytes`, handing each packet to the broker. Returns false when
    /// the connection stopped reading (malformed input, or the broker closed it).
    func feed(_ id: ConnectionID, _ bytes: UnsafeRawBufferPointer, now: Timestamp) -> Bool {
        guard var index = connections.index(forKey: id) else { return false }
        connections[position: index].decoder.append(bytes)
        while true {
            let packet: Packet
            do throws(DecodeError) {
                let version = connections[position: index].version
                guard let next = try connections[position: index].decoder.nextPacket(version: version) else { return true }
                packet = next
            } catch {
                malformed(id, at: index, error, now: now)
                return false
            }
            let firstNew = actions.count
            handleTracked(.packet(id, packet), now: now)
            noteNewActions(from: firstNew)
            guard connections[position: index].state == .open else { return false }
            if actions.count >= batchActionLimit || broker.hasNewBacklog {
                // Bounded work per batch: apply and flush now, so that a burst (fan-in, fan-out)
                // never piles up more than this many actions before the output moves; and
                // at once when a subscriber's queue filled, to hold the publishers back.
                finishBatch(now: now)
                guard let current = connections.index(forKey: id), connections[position: current].state == .open else {
                    return false
                }
                index = current
                // Held back: what else it sent waits in the framer until input resumes.
                if pauseInputIfHeldBack(id, at: index) { return true }
            }
        }
    }

    func malformed(_ id: ConnectionID, at index: Int, _ error: DecodeError,
                   now: Timestamp) {
        connections[position: index].state = .inputStopped
        connections[position: index].decoder = FrameDecoder(maximumPacketSize: connections[position: index].decoder.maximumPacketSize)
        updateInterest(at: index)
        logger.info("Client \(describe(connections[position: index])) sent bad data: \(error)")
        let firstNew = actions.count
        broker.handle(.malformed(id, error), now: now, into: &actions)
        noteNewActions(from: firstNew)
    }

    /// What the broker said that changes how the rest of the same read is taken: a CONNECT's
    /// version frames the packets after it; connections the broker closed stop reading at
    /// once, their later bytes dropped (MQTT-3.1.4-5 for a refused CONNECT).
    func noteNewActions(from start: Int) {
        var i = start
        while i < actions.count {
            switch actions[i] {
            case .connecting(let id, let version, let clientID):
                if let index = connections.index(forKey: id) {
                    connections[position: index].version = version
                    if configuration.connectionMessages && !clientID.isEmpty { connections[position: index].clientID = clientID }
                }
            case .close(let closed):
                if let index = connections.index(forKey: closed), connections[position: index].state != .closing {
                    connections[position: index].state = .closing
                    updateInterest(at: index)
                }
            case .accepted, .send, .persist, .checkPassword:
                break
            }
            i += 1
        }
    }

    /// "clientid" when the client sent CONNECT, otherwise its address.
    func describe(_ connection: Connection) -> String {
        if let clientID = connection.clientID, !clientID.isEmpty { return clientID }
        return connection.peer
    }
}
