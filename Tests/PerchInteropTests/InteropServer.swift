import Dispatch
import Foundation
import Logging
import PerchServer

/// A Perch `Server` in-process on 127.0.0.1 with an ephemeral port, for interop tests.
final class InteropServer {
    let server: Server
    let port: UInt16
    let directory: String?

    init(persistent: Bool = false, configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.listeners = [.init(address: "127.0.0.1", port: 0)]
        directory = persistent ? NSTemporaryDirectory() + "perch-interop-\(UUID().uuidString)" : nil
        configuration.persistence = persistent
        configuration.persistenceLocation = directory ?? "/nonexistent"
        configuration.connectionMessages = false
        configure(&configuration)
        let logger = Logger(label: "perch-interop", factory: { _ in SwiftLogNoOpLogHandler() })
        server = try Server(configuration: configuration, logger: logger, queue: DispatchQueue(label: "perch-interop"))
        try server.start()
        port = server.listeningPorts[0]
    }

    func stop() {
        let done = DispatchSemaphore(value: 0)
        server.shutdown { done.signal() }
        done.wait()
    }

    deinit {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// A command-line tool run as a child process, its stdout read as it comes (no sleeps:
/// the test waits for the text it expects, with a deadline).
final class ChildProcess {
    let process = Process()
    private let stdout = Pipe()
    private(set) var output = ""

    init(_ tool: String, _ arguments: [String]) throws {
        // Line-buffered stdout (stdbuf): the tools' debug lines would otherwise sit in a
        // pipe buffer and the test could not wait for them.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stdbuf")
        process.arguments = ["-oL", Self.resolve(tool)] + arguments
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
    }

    /// `tool` as given when it is a path, else the first executable of that name on PATH
    /// (pyenv's python3 before Debian's, say), else `/usr/bin/tool`.
    static func resolve(_ tool: String) -> String {
        if tool.contains("/") { return tool }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") where access("\(directory)/\(tool)", X_OK) == 0 {
            return "\(directory)/\(tool)"
        }
        return "/usr/bin/" + tool
    }

    /// Reads stdout until `text` has appeared or `seconds` pass; returns whether it did.
    func waitFor(_ text: String, seconds: Double = 5) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        let fd = stdout.fileHandleForReading.fileDescriptor
        while !output.contains(text) {
            let remaining = Int32(deadline.timeIntervalSinceNow * 1000)
            guard remaining > 0 else { return false }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, remaining) > 0 else { return output.contains(text) }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { return output.contains(text) }
            output += String(decoding: chunk[..<n], as: UTF8.self)
        }
        return true
    }

    /// Waits for the process to exit by itself within `seconds` (terminating it otherwise).
    func waitForExit(seconds: Double = 5) -> Int32? {
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        if !process.isRunning { return process.terminationStatus }
        guard exited.wait(timeout: .now() + seconds) == .success else {
            process.terminate()
            return nil
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
}
