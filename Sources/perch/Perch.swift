#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import PerchServer

/// `perch`: parse flags, read the configuration, start the server, serve until SIGTERM or
/// SIGINT, exit 0. Any problem before serving: a message on stderr and exit status 1.
/// `perch passwd ...` manages password files instead (mosquitto_passwd's options).
@main
enum Perch {
    static let version = "0.1.0"

    static func main() {
        if CommandLine.arguments.dropFirst().first == "passwd" {
            Passwd.run(Array(CommandLine.arguments.dropFirst(2)))
        }
        let arguments: Arguments
        switch Arguments.parse(Array(CommandLine.arguments.dropFirst())) {
        case .success(let parsed): arguments = parsed
        case .failure(let error): fail("\(error.message)\n\(Arguments.usage)")
        }
        switch arguments.mode {
        case .help:
            print(Arguments.usage)
            exit(0)
        case .version:
            print("perch \(version)")
            exit(0)
        case .testConfig:
            _ = configuration(arguments)
            print("perch: configuration OK")
            exit(0)
        case .run:
            run(configuration(arguments))
        }
    }

    /// The configuration the flags ask for; exits 1 with the error when it is not valid.
    static func configuration(_ arguments: Arguments) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        if let file = arguments.configFile {
            do {
                configuration = try ConfigFile.load(path: file)
            } catch {
                fail("configuration error: \(error)")
            }
        }
        if let port = arguments.port {
            for index in configuration.listeners.indices where configuration.listeners[index].unixSocketPath == nil {
                configuration.listeners[index].port = port
            }
        }
        if arguments.verbose { configuration.logLevel = .trace }
        if arguments.recover { configuration.recover = true }
        return configuration
    }

    static func run(_ configuration: ServerConfiguration) -> Never {
        let logger = makeLogger(configuration)
        let server: Server
        do {
            server = try Server(configuration: configuration, logger: logger, queue: DispatchQueue(label: "perch"))
            server.handleSignals { exit(0) }
            try server.start()
        } catch {
            fail("cannot start: \(error)")
        }
        dispatchMain()
    }

    static func makeLogger(_ configuration: ServerConfiguration) -> Logger {
        guard let level = configuration.logLevel else {
            return Logger(label: "perch", factory: { _ in SwiftLogNoOpLogHandler() })
        }
        var logger = Logger(label: "perch", factory: { label in
            switch configuration.logDestination {
            case .stdout: return StreamLogHandler.standardOutput(label: label)
            case .stderr: return StreamLogHandler.standardError(label: label)
            }
        })
        logger.logLevel = level
        return logger
    }

    static func fail(_ message: String) -> Never {
        let line = Array("perch: \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(1)
    }
}
