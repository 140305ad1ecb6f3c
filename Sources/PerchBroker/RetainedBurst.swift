/// The retained messages a session's subscriptions matched that it has not been sent yet.
///
/// The retained store is not a queue: a SUBSCRIBE matching 50,000 retained messages gets
/// all of them, not `maxQueuedMessages` of them (mosquitto's cut, its issue #2887), and they
/// do not take the budget the queue keeps for live messages. They wait here, in order, as
/// references to the retained messages (memory only: after a restart a subscription gets its
/// retained messages when it subscribes again), and go out before the queue: those at QoS 1/2
/// as acknowledgements free the window, those at QoS 0 `budget` bytes at a time, the next
/// part when the transport reports the connection's output drained, so that a burst never
/// meets the output limit that drops QoS 0 for a slow reader. A message replaced, cleared or
/// no longer readable by the time its turn comes is skipped (`pumpRetained`). Live QoS 0
/// messages are not held behind a burst: one may arrive before an older retained message of
/// another topic, which carries RETAIN=1 [v311 MQTT-3.3.1-8] and so reads as the older value.
struct RetainedBurst: Sendable {
    var queue = DeliveryQueue()
    /// Bytes of QoS 0 PUBLISH it may still send before it waits for a drain.
    var budget: Int
    /// Whether it asked the transport for `.outputDrained` and waits for it.
    var awaitingDrain = false

    init(budget: Int) { self.budget = budget }
}
