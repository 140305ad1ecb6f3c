/// Per (subscriber, publisher) stream: the next sequence number expected, the gaps seen and
/// arrivals that went backwards.
///
/// MQTT keeps the order of one publisher's messages on one topic at one QoS (§4.6), and
/// the benchmark never reconnects, so a sequence below `next` is counted as a duplicate.
/// Loss is settled at the end: messages sent minus distinct messages received.
struct SequenceStream {
    private(set) var next: UInt32 = 0
    private(set) var received: UInt64 = 0
    private(set) var duplicates: UInt64 = 0

    mutating func record(_ sequence: UInt32) {
        received += 1
        if sequence >= next {
            next = sequence &+ 1
        } else {
            duplicates += 1
        }
    }

    /// Distinct messages received (every arrival that was not a step backwards).
    var distinct: UInt64 { received - duplicates }
}
