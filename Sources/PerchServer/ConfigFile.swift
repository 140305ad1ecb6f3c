#if canImport(Glibc)
import Glibc
#endif
import Logging
import PerchAccess

/// The mosquitto.conf-style configuration file: one `name value...` directive per line,
/// `#` starts a comment line, blank lines are ignored. Values mean what they mean in
/// mosquitto 2. Anything Perch does not implement — an unknown directive, a bad value, a
/// mosquitto directive not implemented yet — is an error naming the file, line and
/// directive, so that an ignored security setting never leaves a gateway open.
///
/// A file starts from mosquitto's defaults, not from Perch's no-file defaults: persistence
/// off, and without any `listener` (or `port`) the broker listens on localhost only and
/// allows anonymous clients; with a listener, `allow_anonymous` defaults to false.
public struct ConfigFile {
    /// The configuration being built.
    var configuration = ServerConfiguration()
    let file: String
    var line = 0
    var directive = ""
    var sawListener = false
    /// Access directives by section index (nil: before any listener), ConfigFile+Access.
    var accessDirectives: [Int?: AccessDirectives] = [:]
    /// `per_listener_settings` and its line.
    var perListenerSettings: (Bool, Int)?
    /// The first access directive given before any listener line.
    var accessBeforeListener: Int?
    /// `log_type` values seen so far; the first `log_type` line replaces the default set.
    var logTypes: Set<LogType>?
    /// The line of the last `redirect`, for the check that a `server_reference` goes with it.
    var redirectLine = 0
    /// The `listener` sections so far (ConfigFile+Listeners).
    var sections: [Section] = []

    init(file: String) {
        self.file = file
        configuration.persistence = false
        configuration.listeners = []
    }

    /// Parses `text` (the contents of `file`, which names it in errors).
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ServerConfiguration {
        var parser = ConfigFile(file: file)
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            parser.line = index + 1
            let words = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let name = words.first, !name.hasPrefix("#") else { continue }
            parser.directive = String(name)
            try parser.apply(words.dropFirst().map(String.init))
        }
        return try parser.finish()
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(ConfigError) -> ServerConfiguration {
        guard let text = readText(path) else {
            throw ConfigError(file: path, line: 0, directive: nil,
                              "cannot read: \(String(cString: strerror(errno)))")
        }
        return try parse(text, file: path)
    }

    mutating func finish() throws(ConfigError) -> ServerConfiguration {
        if configuration.broker.redirect != .none && configuration.broker.serverReference == nil {
            throw ConfigError(file: file, line: redirectLine, directive: "redirect",
                              "needs a server_reference line (the server clients are sent to)")
        }
        if !sawListener {
            // mosquitto 2 with no listener: localhost only, anonymous allowed.
            configuration.listeners = ServerConfiguration().listeners
        }
        try finishTLS()
        try finishAccess()
        if let logTypes { configuration.logLevel = LogType.level(of: logTypes) }
        return configuration
    }

    func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, directive: directive, message)
    }

    static func readText(_ path: String) -> String? { TextFile.read(path) }
}

/// A `log_type` value.
enum LogType: String, Hashable, CaseIterable {
    case error, warning, notice, information, debug, all, none

    /// The most verbose level the set asks for; nil when nothing is to be logged.
    static func level(of types: Set<LogType>) -> Logger.Level? {
        if types.contains(.all) { return .trace }
        if types.contains(.debug) { return .debug }
        if types.contains(.information) { return .info }
        if types.contains(.notice) { return .notice }
        if types.contains(.warning) { return .warning }
        if types.contains(.error) { return .error }
        return nil
    }
}
