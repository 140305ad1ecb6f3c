import PerchCodec

/// Streaming large PUBLISH payloads (`DeferredOutput`): the head goes into the output,
/// the payload follows piece by piece as the socket drains, and the packets sent to the
/// connection meanwhile wait, in order.
extension Server {
    /// Takes `packet` for a connection that streams a payload or is about to: a PUBLISH
    /// queues behind what waits, a control packet waits only for the streaming payload.
    func holdBack(_ packet: Packet, at index: Int, version: ProtocolVersion) {
        guard let deferred = connections[position: index].deferred else {
            connections[position: index].deferred = DeferredOutput()
            startStreaming(packet, at: index, version: version)
            _ = pumpDeferred(at: index)
            return
        }
        if case .publish(let publish) = packet {
            deferred.publishes.append(packet)
            if publish.qos == .atMostOnce { deferred.unboundedBytes += packet.encodedSize(version: version) }
        } else if deferred.streaming != nil {
            deferred.controls.append(packet)
            deferred.unboundedBytes += packet.encodedSize(version: version)
        } else {
            appendOutput(at: index) { packet.encode(version: version, into: &$0) }
        }
    }

    /// Moves deferred output into the output while it holds less than a piece; returns
    /// whether anything was added. Forgets the deferred output once it is all out.
    func pumpDeferred(at index: Int) -> Bool {
        guard let deferred = connections[position: index].deferred else { return false }
        let version = connections[position: index].version ?? .v311
        var added = false
        while connections[position: index].pendingOutput < DeferredOutput.piece {
            if let payload = deferred.streaming {
                let end = min(payload.count, deferred.streamed + DeferredOutput.piece)
                appendOutput(at: index) { $0.append(contentsOf: payload[deferred.streamed..<end]) }
                deferred.streamed = end
                added = true
                guard end == payload.count else { continue }
                deferred.streaming = nil
                deferred.streamed = 0
                for control in deferred.controls {
                    appendOutput(at: index) { control.encode(version: version, into: &$0) }
                    deferred.unboundedBytes -= control.encodedSize(version: version)
                }
                deferred.controls.removeAll()
                continue
            }
            guard let packet = deferred.popPublish() else { break }
            if case .publish(let publish) = packet, publish.qos == .atMostOnce {
                deferred.unboundedBytes -= packet.encodedSize(version: version)
            }
            if DeferredOutput.streams(packet) {
                startStreaming(packet, at: index, version: version)
            } else {
                appendOutput(at: index) { packet.encode(version: version, into: &$0) }
            }
            added = true
        }
        if deferred.isEmpty { connections[position: index].deferred = nil }
        return added
    }

    /// Appends the head of a large PUBLISH; its payload streams from the shared message.
    private func startStreaming(_ packet: Packet, at index: Int, version: ProtocolVersion) {
        guard case .publish(let publish) = packet, let deferred = connections[position: index].deferred else { return }
        appendOutput(at: index) { packet.encodeHead(version: version, into: &$0) }
        deferred.streaming = publish.payload
        deferred.streamed = 0
    }

    /// Appends MQTT bytes: to the stream layers' pending bytes, or the output of plain TCP.
    private func appendOutput(at index: Int, _ body: (inout [UInt8]) -> Void) {
        if let stream = connections[position: index].stream {
            body(&stream.pending)
        } else {
            body(&connections[position: index].output)
        }
    }
}
