import Glibc
import PerchCodec
import PerchStreams

/// The load generator: one thread, one epoll set, every connection a `BenchClient`.
///
/// One loop iteration:
///
///     epoll_wait -> read every ready socket until EAGAIN -> parse every frame
///                -> setup progress / publishers produce -> one write per touched socket
///
/// Phases: subscribers connect and subscribe, then publishers connect, then a warm-up and
/// the measured duration, then a drain until every in-flight message is settled (bounded).
/// Idle mode stops after the subscribers and holds the connections for the duration.
final class Bench {
    enum Phase { case subscribing, connectingPublishers, running, draining, holding, done }

    let options: BenchOptions
    let loop = EventLoop()
    var phase = Phase.subscribing
    var clients: [BenchClient] = []
    var publishers: [Publisher]
    var subscribers: [[SequenceStream]]
    /// Clients with output to write this iteration.
    var touched: [Int] = []
    /// Clients whose last read stopped at the per-iteration bound (still readable).
    var stillReadable: [Int] = []
    var stats = BenchStats()
    var now: UInt64 = 0
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    /// Connections opened but not yet ready or failed (bounded so the listen backlog holds).
    var pending = 0
    let pendingLimit: Int
    var lastProgress: UInt64 = 0
    var readyCount = 0
    var failedCount = 0
    var connectPacket: [UInt8] = []
    /// The client TLS context of `--tls CAFILE` (one for every connection).
    let tlsContext: TLSContext?

    init(options: BenchOptions) throws(TLSError) {
        self.options = options
        if let caFile = options.tlsCAFile {
            var tls = TLSConfiguration()
            tls.role = .client(serverName: "localhost")
            tls.caFile = caFile
            tlsContext = try TLSContext(tls)
        } else {
            tlsContext = nil
        }
        publishers = (0..<options.publishers).map { Publisher(index: $0, options: options) }
        let connectionsOnly = options.mode == .idle || options.mode == .connect
        let clientCount = connectionsOnly ? options.connections : options.subscribers
        let streams = [SequenceStream](repeating: SequenceStream(), count: options.publishers)
        subscribers = [[SequenceStream]](repeating: connectionsOnly ? [] : streams, count: clientCount)
        pendingLimit = options.mode == .connect ? options.concurrency : 256
    }

    deinit {
        scratch.deallocate()
    }

    /// Runs every phase; returns false when setup failed (a broker refused or stalled).
    func run() -> Bool {
        now = Clock.nanoseconds()
        lastProgress = now
        stats.setupStart = now
        while phase != .done {
            let timeout = pollTimeout()
            loop.wait(timeoutMilliseconds: timeout) { token, events in self.onEvent(token, events) }
            now = Clock.nanoseconds()
            readReady()
            guard advancePhase() else { return false }
            if phase == .running { produce() }
            flush()
        }
        return true
    }

    /// 0 while publishers can send or reads are pending; until the next rate tick otherwise.
    private func pollTimeout() -> Int32 {
        if !stillReadable.isEmpty { return 0 }
        guard phase == .running else { return 10 }
        var earliest = UInt64.max
        for publisher in publishers where clients[publisher.client].state == .ready {
            let client = clients[publisher.client]
            guard client.writable || client.outbound.isEmpty else { continue }
            if publisher.canSend(now: now) { return 0 }
            if let due = publisher.nextDue, !publisher.windowFull { earliest = min(earliest, due) }
        }
        guard earliest != UInt64.max else { return 10 }
        let wait = earliest > now ? (earliest - now + 999_999) / 1_000_000 : 0
        return Int32(min(wait, 10))
    }

    /// Lets every publisher append what its window and rate allow (bounded per iteration).
    private func produce() {
        let measuring = now >= stats.measureStart && now < stats.measureEnd
        for index in publishers.indices {
            let client = publishers[index].client
            guard clients[client].state == .ready, clients[client].outbound.count < 65536 else { continue }
            let count = publishers[index].produce(into: &clients[client].outbound, now: Clock.nanoseconds(),
                                                  limit: 65536)
            if count > 0 {
                if measuring { stats.sentInWindow += UInt64(count) }
                markTouched(client)
            }
        }
    }

    func markTouched(_ client: Int) {
        guard !clients[client].touched else { return }
        clients[client].touched = true
        touched.append(client)
    }
}

extension Publisher {
    var windowFull: Bool { qos != .atMostOnce && inflight >= window }
}
