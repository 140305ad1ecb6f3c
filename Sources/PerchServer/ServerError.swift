#if canImport(Glibc)
import Glibc
#endif

/// Why the server could not start (or a socket call failed): what it tried and `errno`.
public struct ServerError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }

    /// `what: strerror(errno)`.
    static func system(_ what: String, errno code: Int32 = errno) -> ServerError {
        ServerError("\(what): \(String(cString: strerror(code)))")
    }

    public var description: String { message }
}
