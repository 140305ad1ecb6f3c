/// A configuration that cannot be used, with where it came from: `file:line: directive: why`.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the problem is not on one line (the file cannot be read, no listener).
    public var line: Int
    public var directive: String?
    public var message: String

    public init(file: String, line: Int, directive: String?, _ message: String) {
        self.file = file
        self.line = line
        self.directive = directive
        self.message = message
    }

    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        if let directive { return "\(place): \(directive): \(message)" }
        return "\(place): \(message)"
    }
}
