/// The sessions subscribed at one trie node, with their options: most nodes hold exactly
/// one (a device's own topic), so the first entry is stored inline and a dictionary is
/// allocated only for the second and later ones. Saves one small dictionary allocation
/// (~130 bytes) per single-subscriber node, i.e. per idle device.
struct SubscriberMap: Sendable {
    private var first: (session: Int32, options: SubscriptionOptions)?
    private var rest: [Int32: SubscriptionOptions] = [:]

    var isEmpty: Bool { first == nil && rest.isEmpty }

    subscript(session: Int32) -> SubscriptionOptions? {
        get { first?.session == session ? first?.options : rest[session] }
        set {
            if first?.session == session {
                guard let newValue else {
                    first = rest.popFirst().map { (session: $0.key, options: $0.value) }
                    return
                }
                first?.options = newValue
            } else if first == nil, rest[session] == nil, let newValue {
                first = (session, newValue)
            } else {
                rest[session] = newValue
            }
        }
    }

    /// Calls `body` for every subscribed session.
    func forEach(_ body: (Int32, SubscriptionOptions) -> Void) {
        if let first { body(first.session, first.options) }
        for (session, options) in rest { body(session, options) }
    }
}
