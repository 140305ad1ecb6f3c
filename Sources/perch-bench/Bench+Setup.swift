import Glibc
import PerchCodec
import PerchStreams

/// Connecting, CONNECT / SUBSCRIBE, and the move from one phase to the next.
extension Bench {
    var subscriberCount: Int { subscribers.count }

    /// Steps the phase machine; false when setup failed for good.
    func advancePhase() -> Bool {
        switch phase {
        case .subscribing:
            openClients(upTo: subscriberCount)
            guard readyCount + failedCount == subscriberCount else { return checkStall() }
            if options.mode == .connect {
                stats.setupEnd = now
                finish()
            } else if options.mode == .idle {
                startHolding()
            } else if failedCount > 0 {
                return report(setupFailure: "\(failedCount) subscribers failed to connect or subscribe")
            } else {
                phase = .connectingPublishers
            }
        case .connectingPublishers:
            openClients(upTo: subscriberCount + publishers.count)
            guard readyCount + failedCount == clients.count, clients.count == subscriberCount + publishers.count
            else { return checkStall() }
            guard failedCount == 0 else { return report(setupFailure: "\(failedCount) publishers failed to connect") }
            startRunning()
        case .running:
            if stats.cpuStart == 0 && now >= stats.measureStart { stats.cpuStart = Clock.cpuNanoseconds() }
            if now >= stats.measureEnd { startDraining() }
        case .draining:
            if drained() { finish() }
        case .holding:
            if now >= stats.measureEnd { finish() }
        case .done:
            break
        }
        return true
    }

    /// Opens connections in order until `total` exist, keeping at most `pendingLimit` unanswered.
    private func openClients(upTo total: Int) {
        while clients.count < total && pending < pendingLimit {
            let index = clients.count
            let role: ClientRole = index < subscriberCount ? .subscriber(index) : .publisher(index - subscriberCount)
            if case let .publisher(publisher) = role { publishers[publisher].client = index }
            guard let fd = Socket.connect(host: options.host, port: options.port) else {
                clients.append(BenchClient(fd: -1, role: role))
                clients[index].state = .failed
                failedCount += 1
                continue
            }
            clients.append(BenchClient(fd: fd, role: role, stream: makeStream(index)))
            clients[index].openedAt = Clock.nanoseconds()
            pending += 1
            if !loop.add(fd, token: index) { fail(index) }
        }
    }

    /// The non-blocking connect finished: check it, then send CONNECT.
    func connected(_ client: Int) {
        guard Socket.pendingError(clients[client].fd) == 0 else { fail(client); return }
        clients[client].state = .awaitingConnAck
        clients[client].stream?.start(into: &clients[client].wire)
        let username = options.username.map { $0.split(separator: "%d", omittingEmptySubsequences: false)
            .joined(separator: String(client)) }
        let connect = Connect(version: options.version, cleanStart: options.cleanStart, keepAlive: 0,
                              clientID: "perch-bench-\(getpid())-\(client)", username: username,
                              password: options.password.map { Array($0.utf8) })
        Packet.connect(connect).encode(version: options.version, into: &clients[client].outbound)
        markTouched(client)
    }

    /// The layers `--tls` / `--websocket` ask for, or nil for plain MQTT over TCP.
    private func makeStream(_ index: Int) -> ClientStreamStack? {
        guard tlsContext != nil || options.webSocket else { return nil }
        var key = [UInt8](repeating: 0, count: 16)
        var state = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 | 1
        for byte in key.indices {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            key[byte] = UInt8(truncatingIfNeeded: state)
        }
        return ClientStreamStack(tls: tlsContext, webSocketHost: options.host, webSocketKey: options.webSocket ? key : nil)
    }

    /// CONNACK arrived: publishers are ready (their window capped by the broker's Receive
    /// Maximum in 5.0); subscribers go on to SUBSCRIBE.
    func connAcked(_ client: Int, _ connack: ConnAck) {
        guard clients[client].state == .awaitingConnAck, connack.reason == .success else { fail(client); return }
        if options.mode == .connect {
            // Connected: its CONNACK latency, then the socket closes (the next one may start).
            stats.latency.record(Clock.nanoseconds() - clients[client].openedAt)
            becomeReady(client)
            _ = Glibc.close(clients[client].fd)
            clients[client].state = .failed
            clients[client].stream = nil
            return
        }
        switch clients[client].role {
        case let .publisher(index):
            if let maximum = connack.properties.receiveMaximum {
                publishers[index].window = min(publishers[index].window, Int(maximum))
            }
            becomeReady(client)
        case let .subscriber(index):
            clients[client].state = .awaitingSubAck
            guard let filter = TopicFilter(validating: options.subscribeFilter(index)), let id = PacketID(1) else {
                fail(client)
                return
            }
            let subscribe = Subscribe(packetID: id, entries: [.valid(Subscription(filter: filter, qos: options.qos))])
            Packet.subscribe(subscribe).encode(version: options.version, into: &clients[client].outbound)
            markTouched(client)
        }
    }

    func subAcked(_ client: Int, _ suback: SubAck) {
        guard clients[client].state == .awaitingSubAck, suback.reasons.allSatisfy({ $0.rawValue < 0x80 }) else {
            fail(client)
            return
        }
        becomeReady(client)
    }

    private func becomeReady(_ client: Int) {
        clients[client].state = .ready
        pending -= 1
        readyCount += 1
        lastProgress = now
    }

    /// Setup gives up after 5 s without progress: idle mode counts the rest as failed
    /// (the broker's connection limit), the traffic modes fail.
    private func checkStall() -> Bool {
        guard now - lastProgress > 5_000_000_000 else { return true }
        guard options.mode == .idle || options.mode == .connect else { return report(setupFailure: "setup stalled for 5 s") }
        for client in clients.indices where clients[client].state != .ready { fail(client) }
        failedCount += subscriberCount - clients.count  // never opened
        if options.mode == .connect {
            stats.setupEnd = now
            finish()
        } else {
            startHolding()
        }
        return true
    }

    private func startHolding() {
        stats.setupEnd = now
        printReady()
        phase = .holding
        stats.measureStart = now
        stats.measureEnd = now + UInt64(options.durationSeconds * 1e9)
        stats.cpuStart = Clock.cpuNanoseconds()
    }

    private func startRunning() {
        stats.setupEnd = now
        phase = .running
        stats.measureStart = now + UInt64(options.warmupSeconds * 1e9)
        stats.measureEnd = stats.measureStart + UInt64(options.durationSeconds * 1e9)
        for index in publishers.indices { publishers[index].start(at: now) }
    }

    private func startDraining() {
        phase = .draining
        stats.drainStart = now
        stats.cpuEnd = Clock.cpuNanoseconds()
    }

    /// Everything settled: every publisher's window empty and every expected message in,
    /// or 1 s without a message, or `--drain` seconds in all (a broker still working off a
    /// QoS 0 backlog then counts the rest as lost).
    private func drained() -> Bool {
        let settled = publishers.allSatisfy { $0.inflight == 0 } && stats.received - stats.duplicates >= expected
        let quiet = now - max(stats.lastReceive, stats.drainStart) > 1_000_000_000
        return settled || quiet || now - stats.drainStart > UInt64(options.drainSeconds * 1e9)
    }

    /// Messages the subscribers should have received: each publisher's count times its audience.
    var expected: UInt64 {
        var total: UInt64 = 0
        for publisher in publishers {
            let audience = (0..<subscriberCount).reduce(0) {
                $0 + (options.delivers(publisher: Int(publisher.index), to: $1) ? 1 : 0)
            }
            total += UInt64(publisher.sent) * UInt64(audience)
        }
        return total
    }

    func finish() {
        if phase == .holding { stats.cpuEnd = Clock.cpuNanoseconds() }
        phase = .done
    }
}
