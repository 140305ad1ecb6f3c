#if canImport(Glibc)
import Glibc
#endif

/// Why the server could not start (or a socket call failed): what it tried and `errno`.
public struct ServerError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// The errno behind it, for the few the transport reacts to.
    var code: Int32?

    public init(_ message: String) { self.message = message }

    init(_ message: String, code: Int32) {
        self.message = message
        self.code = code
    }

    /// Out of descriptors or memory: waiting for a close helps, retrying at once does not.
    var isResourceShortage: Bool {
        guard let code else { return false }
        return code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM
    }

    /// `what: strerror(errno)`.
    static func system(_ what: String, errno code: Int32 = errno) -> ServerError {
        ServerError("\(what): \(String(cString: strerror(code)))", code: code)
    }

    public var description: String { message }
}
