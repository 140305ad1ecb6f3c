import Logging
import PerchBroker
import PerchCodec

extension Server {
    /// Ends a batch: apply the actions in order, commit the store, then flush each touched
    /// connection once. Closing a connection may produce more actions (its Will); those are
    /// applied, committed and flushed in another round.
    ///
    /// With the fsync on the sync worker, the output it holds goes at the start of the next
    /// batch (`completeSync`), before that batch's actions add to any output: the events
    /// read in between were decoded and routed while the disk worked.
    func finishBatch(now: Timestamp) {
        batchBytes = 0
        var drainRounds = 0
        repeat {
            if completeSync(now: now) { flushTouched(now: now) }
            if drainRounds < Self.drainRoundsPerBatch, !backpressure.drained.isEmpty {
                drainRounds += 1
                feedDrained(now: now)
            }
            applyActions(now: now)
            noteBacklogs(now: now)
            noteDrainRequests()
            feedImmediateAnswers(now: now)
            commitStore(now: now)
            if commit.syncWorker?.isRunning != true { flushTouched(now: now) }
        } while !actions.isEmpty || (!backpressure.drained.isEmpty && drainRounds < Self.drainRoundsPerBatch)
        if !backpressure.drained.isEmpty { feedDrainedLater() }
        rearmTimer(now: now)
    }

    /// Applies `actions` in order, including any appended while applying, then empties it.
    func applyActions(now: Timestamp) {
        peakBatchActions = max(peakBatchActions, actions.count)
        var i = 0
        var range = 0 // into commit.independent
        while i < actions.count {
            let action = actions[i]
            i += 1
            switch action {
            case .send(let id, let packet):
                if case .connack(let connack) = packet, connack.reason.isFailure { noteRefused(connack, on: id) }
                if packet.awaitsCommit, !isIndependent(i - 1, from: &range) { commit.durableAcks.append(id) }
                enqueue(packet, to: id, now: now)
            case .close(let id): markClosed(id)
            case .persist(let change): store.apply(change)
            case .accepted(let id, let client): noteAccepted(client, on: id)
            case .connecting: break // taken as it was emitted (Server+Read, noteNewActions)
            case .checkPassword(let id, let check): startPasswordCheck(check, on: id)
            }
        }
        actions.removeAll(keepingCapacity: true)
        commit.independent.removeAll(keepingCapacity: true)
    }

    /// Hands `event` to the broker, noting its actions as independent of the commit when
    /// it changed no durable state (`Broker.durableChangeCount`).
    func handleTracked(_ event: BrokerEvent, now: Timestamp) {
        let (first, changes) = (actions.count, broker.durableChangeCount)
        broker.handle(event, now: now, into: &actions)
        if broker.durableChangeCount == changes, actions.count > first { commit.independent.append(first..<actions.count) }
    }

    /// Whether action `index` lies in an independent range; `range` moves forward only
    /// (the actions are applied in order).
    private func isIndependent(_ index: Int, from range: inout Int) -> Bool {
        while range < commit.independent.count, commit.independent[range].upperBound <= index { range += 1 }
        return range < commit.independent.count && commit.independent[range].contains(index)
    }

    func markClosed(_ id: ConnectionID) {
        guard let index = connections.index(forKey: id) else { return }
        if connections[position: index].state != .closing {
            connections[position: index].state = .closing
            updateInterest(at: index)
        }
        touch(id)
    }

    /// Encodes `packet` into the connection's output. Back-pressure: above the soft limit
    /// QoS 0 PUBLISH packets are dropped (QoS 1/2 are bounded by the broker's in-flight
    /// window); above the hard limit the connection is closed and reported. A large
    /// PUBLISH streams (`DeferredOutput`), and what follows it waits until it is out.
    func enqueue(_ packet: Packet, to id: ConnectionID, now: Timestamp) {
        guard let index = connections.index(forKey: id) else { return }
        let isPublish: Bool
        if case .publish(let publish) = packet {
            if publish.qos == .atMostOnce, connections[position: index].limitedOutput > configuration.outputSoftLimit {
                connections[position: index].droppedPublishes += 1
                droppedPublishes += 1
                return
            }
            isPublish = true
        } else {
            isPublish = false
        }
        let version = connections[position: index].version ?? .v311
        if connections[position: index].deferred != nil || (isPublish && DeferredOutput.streams(packet)) {
            holdBack(packet, at: index, version: version)
        } else if let stream = connections[position: index].stream {
            packet.encode(version: version, into: &stream.pending) // sealed once, at the flush
        } else {
            packet.encode(version: version, into: &connections[position: index].output)
        }
        if connections[position: index].limitedOutput > configuration.outputHardLimit {
            logger.notice("Client \(describe(connections[position: index])) disconnected: output limit exceeded")
            closeSocket(id, reason: nil, now: now)
            return
        }
        updateCongestion(id, at: index, now: now)
        touch(id)
    }

    /// A CONNECT was accepted: the client counts as connected, logged in mosquitto's words.
    func noteAccepted(_ client: AcceptedClient, on id: ConnectionID) {
        guard let index = connections.index(forKey: id) else { return }
        connections[position: index].connected = true
        guard configuration.connectionMessages else { return }
        connections[position: index].clientID = client.clientID
        connections[position: index].username = client.username
        connections[position: index].cleanStart = client.cleanStart
        connections[position: index].keepAlive = client.keepAlive
        let connection = connections[position: index]
        logger.notice("New client connected from \(connection.peer) as \(client.clientID) (\(connection.connectSummary)).")
    }

    func touch(_ id: ConnectionID) {
        guard let index = connections.index(forKey: id), !connections[position: index].touched else { return }
        connections[position: index].touched = true
        touched.append(id)
    }
}
