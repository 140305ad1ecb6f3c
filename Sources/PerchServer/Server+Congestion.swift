import PerchBroker

/// Back-pressure on publishers while a reader catches up.
///
/// When a flush leaves a connection with more than half the soft limit pending, that
/// connection is *backpressure.congested*: the server stops reading every other connection (their
/// EPOLLIN is withdrawn as they next become readable) until the backpressure.congested output drains
/// to a quarter of the soft limit. TCP then slows the publishers, instead of the server
/// reading their messages only to drop them at the soft limit.
///
/// A reader that does not drain within `congestionPause` milliseconds is *stalled*: it
/// stops holding the others back, and QoS 0 to it is dropped at the soft limit as before,
/// so one stuck client never stalls the broker for longer than that (once per episode:
/// it counts again only after its output has drained).
extension Server {
    /// Pending output above which a connection holds the other connections' input back.
    var congestionThreshold: Int { configuration.outputSoftLimit / 2 }

    /// Whether input is held back now: some connection is backpressure.congested and not stalled.
    var isInputHeldBack: Bool { !backpressure.congested.isEmpty }

    /// After a flush: starts or ends the connection's congestion by its pending output,
    /// or by its session's queue while the broker reports it backlogged.
    func updateCongestion(_ id: ConnectionID, at index: Int,
                          now: Timestamp) {
        let pending = connections[position: index].pendingOutput
        if connections[position: index].backlogged, !broker.isBacklogged(id) {
            connections[position: index].backlogged = false
        }
        let backlogged = connections[position: index].backlogged
        if pending <= congestionThreshold / 2 && !backlogged {
            connections[position: index].stalled = false
            if connections[position: index].congestionDeadline != nil {
                connections[position: index].congestionDeadline = nil
                endCongestion(id)
            }
        } else if pending > congestionThreshold || backlogged, connections[position: index].congestionDeadline == nil,
                  !connections[position: index].stalled, connections[position: index].state == .open {
            connections[position: index].congestionDeadline = now.adding(milliseconds: configuration.congestionPause)
            backpressure.congested.append(id)
            backpressure.episodes += 1
        }
    }

    /// Connections whose session queue filled this batch: congested like a reader whose
    /// output filled, so that their publishers slow before QoS 1/2 messages drop. Logs the
    /// queue overflows there were anyway (a stalled reader), at most once a second.
    func noteBacklogs(now: Timestamp) {
        broker.takeBacklogged(into: &backpressure.backlogged)
        for id in backpressure.backlogged {
            guard let index = connections.index(forKey: id) else { continue }
            connections[position: index].backlogged = true
            updateCongestion(id, at: index, now: now)
        }
        backpressure.backlogged.removeAll(keepingCapacity: true)
        let overflows = broker.statistics.queueOverflows
        guard overflows > backpressure.reportedOverflows,
              backpressure.lastOverflowReport.map({ now >= $0.adding(milliseconds: 1000) }) ?? true else { return }
        let limit = configuration.broker.maxQueuedMessages
        logger.warning("\(overflows - backpressure.reportedOverflows) QoS 1/2 messages dropped: subscriber queues full (max_queued_messages \(limit)); \(overflows) since start")
        backpressure.reportedOverflows = overflows
        backpressure.lastOverflowReport = now
    }

    /// Withdraws the connection's input interest while input is held back; returns
    /// whether it was backpressure.paused (a backpressure.congested connection itself is always read).
    func pauseInputIfHeldBack(_ id: ConnectionID, at index: Int) -> Bool {
        guard isInputHeldBack, connections[position: index].congestionDeadline == nil else { return false }
        if !connections[position: index].inputPaused {
            connections[position: index].inputPaused = true
            backpressure.paused.append(id)
            updateInterest(at: index)
        }
        return true
    }

    /// Congested connections past their deadline become stalled and stop holding others back.
    func expireCongestion(now: Timestamp) {
        for id in backpressure.congested {
            guard let index = connections.index(forKey: id),
                  let deadline = connections[position: index].congestionDeadline, deadline <= now else { continue }
            connections[position: index].congestionDeadline = nil
            connections[position: index].stalled = true
            endCongestion(id)
        }
    }

    /// Forgets `id` as backpressure.congested (drained, stalled or closed); resumes the backpressure.paused input
    /// once no connection is backpressure.congested any more.
    func endCongestion(_ id: ConnectionID) {
        backpressure.congested.removeAll { $0 == id }
        guard backpressure.congested.isEmpty, !backpressure.paused.isEmpty else { return }
        for pausedID in backpressure.paused {
            guard let index = connections.index(forKey: pausedID) else { continue }
            connections[position: index].inputPaused = false
            updateInterest(at: index)
            // Packets it sent before the pause wait in its framer; no readiness reports them.
            if connections[position: index].decoder.bufferedByteCount > 0 { backpressure.resumed.append(pausedID) }
        }
        backpressure.paused.removeAll(keepingCapacity: true)
    }

    /// Decodes what paused connections had buffered when their input was held back; from
    /// the top of the loop only (never inside another connection's read).
    func resumeBufferedInput(now: Timestamp) {
        var rounds = 0
        while !backpressure.resumed.isEmpty, !isInputHeldBack, rounds < 64 {
            rounds += 1
            let ids = backpressure.resumed
            backpressure.resumed.removeAll()
            for id in ids where connections[id]?.state == .open && !isInputHeldBack {
                _ = feed(id, UnsafeRawBufferPointer(start: nil, count: 0), now: now)
            }
            finishBatch(now: now)
        }
    }

    /// The earliest congestion deadline, for the timer.
    var nextCongestionDeadline: Timestamp? {
        var earliest: Timestamp?
        for id in backpressure.congested {
            guard let deadline = connections[id]?.congestionDeadline else { continue }
            earliest = min(earliest ?? deadline, deadline)
        }
        return earliest
    }

    // MARK: Drains the broker waits for (its QoS 0 retained bursts)

    /// Pending output at or below which a connection counts as drained for the broker.
    var drainMark: Int { configuration.outputSoftLimit / 4 }

    /// Marks the connections whose drain the broker asked to hear of; one with nothing to
    /// flush and its output already low is drained now.
    func noteDrainRequests() {
        broker.takeDrainRequests(into: &backpressure.drainRequests)
        for id in backpressure.drainRequests {
            guard let index = connections.index(forKey: id) else { continue }
            connections[position: index].drainRequested = true
            if !connections[position: index].touched { noteIfDrained(id, at: index) }
        }
        backpressure.drainRequests.removeAll(keepingCapacity: true)
    }

    /// After a flush: a connection the broker waits for whose output is low is drained.
    func noteIfDrained(_ id: ConnectionID, at index: Int) {
        guard connections[position: index].drainRequested, connections[position: index].limitedOutput <= drainMark else { return }
        connections[position: index].drainRequested = false
        backpressure.drained.append(id)
    }

    /// Rounds of drained connections one batch feeds (each round sends every drained
    /// connection one part of its burst, `retainedBurstBytes`): a reader fast enough to take
    /// a whole burst at once gets it over several batches, with the others served between.
    static let drainRoundsPerBatch = 4

    /// The drained connections a batch left over get their next parts in a batch of their
    /// own, queued behind the readiness events already waiting.
    func feedDrainedLater() {
        guard !backpressure.feedScheduled else { return }
        backpressure.feedScheduled = true
        queue.async { [self] in
            backpressure.feedScheduled = false
            guard !isShuttingDown, !backpressure.drained.isEmpty else { return }
            finishBatch(now: MonotonicClock.now())
        }
    }

    /// Tells the broker of the drained connections (it sends the next part of their bursts).
    func feedDrained(now: Timestamp) {
        guard !backpressure.drained.isEmpty else { return }
        let drained = backpressure.drained
        backpressure.drained.removeAll(keepingCapacity: true)
        for id in drained where connections.index(forKey: id) != nil {
            handleTracked(.outputDrained(id), now: now)
        }
    }
}
