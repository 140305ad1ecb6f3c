import PerchCodec

/// Output of one connection that is not encoded yet, because a large PUBLISH is on its way.
///
/// A PUBLISH whose payload is at least `DeferredOutput.streamedPayload` bytes is not copied
/// into the connection's output whole: its head (fixed header, topic, packet id,
/// properties) is, and the payload follows in pieces of `DeferredOutput.piece` bytes as
/// the socket takes them, read from the `Message` every subscriber shares. A message of
/// any size the broker accepts is so delivered with about one piece per connection in
/// memory, never counted against the output limits (issue 12: 8 MiB messages hit the hard
/// limit and closed every subscriber, and every reconnect of a session holding one).
///
/// While a payload streams, what else is sent to the connection waits here, in order:
/// control packets (acknowledgements, PINGRESP, DISCONNECT) go out as soon as the payload
/// is done, PUBLISH packets after them in their order. Confined to the server's queue.
final class DeferredOutput {
    /// Payloads from this size on are streamed.
    static let streamedPayload = 64 * 1024
    /// How much of a streamed payload is appended to the output at a time, and the output
    /// below which the next piece is appended.
    static let piece = 64 * 1024

    /// The payload whose head is in the output, and how much of it followed.
    var streaming: [UInt8]?
    var streamed = 0
    /// Control packets waiting for the streaming payload's end.
    var controls: [Packet] = []
    /// PUBLISH packets waiting, in order (`publishes[next...]`).
    var publishes: [Packet] = []
    var next = 0
    /// Encoded bytes of the waiting control packets and QoS 0 PUBLISH packets: what the
    /// in-flight window does not bound, checked against the output limits.
    var unboundedBytes = 0

    var isEmpty: Bool { streaming == nil && controls.isEmpty && next == publishes.count }

    /// The next waiting PUBLISH, if any.
    func popPublish() -> Packet? {
        guard next < publishes.count else { return nil }
        let packet = publishes[next]
        publishes[next] = .pingresp // release its payload
        next += 1
        if next == publishes.count {
            publishes.removeAll()
            next = 0
        } else if next >= 1024, next * 2 >= publishes.count {
            publishes.removeFirst(next)
            next = 0
        }
        return packet
    }

    /// Whether `packet` is a PUBLISH to stream rather than encode whole.
    static func streams(_ packet: Packet) -> Bool {
        if case .publish(let publish) = packet { publish.payload.count >= streamedPayload } else { false }
    }
}
