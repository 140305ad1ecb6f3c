/// What is wrong with a password, ACL or PSK file, and where: `FILE:LINE: reason`.
public struct AccessFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Error, Sendable, Hashable, CustomStringConvertible {
        case unreadable(String)
        case plainTextPassword
        case unknownHash(String)
        case badHash(String)
        case missingSeparator
        case emptyUsername
        case unknownKeyword(String)
        case badAccess(String)
        case missingTopic(String)
        case badTopic(String)
        case cryptoFailure(String)
        case other(String)

        public var description: String {
            switch self {
            case .unreadable(let why): return "cannot read the file (\(why))"
            case .plainTextPassword:
                return "a plain-text password; hash the file first with `perch passwd -U FILE` (as `mosquitto_passwd -U`)"
            case .unknownHash(let id): return "unknown password hash type $\(id)$"
            case .badHash(let kind): return "malformed \(kind) password hash"
            case .missingSeparator: return "expected `username:hash`"
            case .emptyUsername: return "empty user name"
            case .unknownKeyword(let word): return "unknown keyword `\(word)` (expected topic, user or pattern)"
            case .badAccess(let word): return "unknown access `\(word)` (expected read, write, readwrite or deny)"
            case .missingTopic(let keyword): return "`\(keyword)` needs a topic"
            case .badTopic(let topic): return "invalid topic filter `\(topic)`"
            case .cryptoFailure(let what): return "\(what) failed"
            case .other(let text): return text
            }
        }
    }

    public let file: String
    /// 1-based; 0 when the error is about the file as a whole.
    public let line: Int
    public let reason: Reason

    public init(file: String, line: Int, _ reason: Reason) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)" }
}
