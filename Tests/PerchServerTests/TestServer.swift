#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import PerchBroker
import PerchServer
import PerchStore

/// A `Server` in-process on 127.0.0.1, port 0, on its own queue.
final class TestServer {
    let server: Server
    let port: UInt16

    /// `store` replaces the store the configuration asks for; `logger` the silent one.
    init(persistenceDirectory: String? = nil, store: (any BrokerStore)? = nil, logger: Logger? = nil,
         authenticator: (any Authenticator)? = nil, authorizer: (any Authorizer)? = nil,
         passwordAuthenticator: (any PasswordAuthenticator)? = nil,
         configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.listeners = [.init(address: "127.0.0.1", port: 0)]
        configuration.persistence = persistenceDirectory != nil
        configuration.persistenceLocation = persistenceDirectory ?? "/nonexistent"
        configuration.connectionMessages = false
        configure(&configuration)
        let logger = logger ?? Logger(label: "perch-test", factory: { _ in SwiftLogNoOpLogHandler() })
        let queue = DispatchQueue(label: "perch-test")
        if let store {
            server = try Server(configuration: configuration, store: store, logger: logger, queue: queue,
                                authenticator: authenticator, authorizer: authorizer,
                                passwordAuthenticator: passwordAuthenticator)
        } else {
            server = try Server(configuration: configuration, logger: logger, queue: queue,
                                authenticator: authenticator, authorizer: authorizer,
                                passwordAuthenticator: passwordAuthenticator)
        }
        try server.start()
        port = server.listeningPorts[0]
    }

    /// A server with the listeners and access settings of a parsed configuration file
    /// (its ports made 0 by the caller); persistence and logging stay the test's.
    convenience init(listenersAndAccessOf parsed: ServerConfiguration) throws {
        try self.init { configuration in
            configuration.listeners = parsed.listeners
            configuration.accessRealms = parsed.accessRealms
            configuration.broker.allowAnonymous = parsed.broker.allowAnonymous
        }
    }

    /// Shuts the server down and waits until it has.
    func stop() {
        let done = DispatchSemaphore(value: 0)
        server.shutdown { done.signal() }
        done.wait()
    }
}

/// A fresh directory under /tmp.
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/perch-server-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
}

/// Removes a directory and the files directly in it.
func removeDirectory(_ path: String) {
    if let dir = opendir(path) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(dir)
    }
    rmdir(path)
}

func writeFile(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0)
    _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

extension TestServer {
    /// QoS 0 PUBLISH packets the server dropped for slow readers (read on its queue).
    var droppedPublishes: Int { server.droppedPublishesForTesting() }

    /// The most actions one batch of the server held before they were applied.
    var peakBatchActions: Int { server.peakBatchActionsForTesting() }
    /// The server's batch limit (actions per batch before it is applied early).
    var batchActionLimit: Int { server.batchActionLimitForTesting }
}
