/// The command line of `perch`, parsed by hand (no dependency).
struct Arguments: Equatable {
    enum Mode: Equatable {
        case run
        case testConfig
        case help
        case version
    }

    var mode = Mode.run
    var configFile: String?
    var port: UInt16?
    var verbose = false
    /// `--recover`: start on damaged data files, keeping every valid record.
    var recover = false

    static let usage = """
        Usage: perch [-c FILE] [-p PORT] [-v] [--recover] [--test-config]
               perch passwd [-H sha512-pbkdf2|argon2id] [-c | -D | -U] [-b] FILE [USER [PASSWORD]]
               perch -h | --help | --version

          -c FILE          read a mosquitto.conf-style configuration file
          -p PORT          listen on PORT instead of the configured / default port
          -v               verbose logging (log_type all)
          --recover        start on damaged data files, keeping every valid record
          --test-config    validate the configuration, print OK or the error, exit 0 / 1
          -h, --help       this text
          --version        the version
        """

    /// Parses the arguments after the program name; the error is a one-line message.
    static func parse(_ words: [String]) -> Result<Arguments, ArgumentError> {
        var arguments = Arguments()
        var i = 0
        while i < words.count {
            let word = words[i]
            i += 1
            switch word {
            case "-h", "--help": arguments.mode = .help
            case "--version": arguments.mode = .version
            case "--test-config": arguments.mode = arguments.mode == .run ? .testConfig : arguments.mode
            case "-v", "--verbose": arguments.verbose = true
            case "--recover": arguments.recover = true
            case "-c", "--config-file", "-p", "--port":
                guard i < words.count else { return .failure(ArgumentError("\(word) needs a value")) }
                let value = words[i]
                i += 1
                if word == "-c" || word == "--config-file" {
                    arguments.configFile = value
                } else {
                    guard let port = UInt16(value), port > 0 else {
                        return .failure(ArgumentError("\(word): '\(value)' is not a port number (1-65535)"))
                    }
                    arguments.port = port
                }
            default:
                return .failure(ArgumentError("unknown option '\(word)'"))
            }
        }
        return .success(arguments)
    }
}

struct ArgumentError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
