/// Whether this branch still has the codec/broker stubs (their implementations land from
/// main): the end-to-end tests that need them are disabled until then.
enum CodecAvailability {
    static let isStub = true
}
