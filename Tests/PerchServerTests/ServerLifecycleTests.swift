#if canImport(Glibc)
import Glibc
#endif
import PerchServer
import PerchTestKit
import Testing

@Suite("Server life cycle")
struct ServerLifecycleTests {
    @Test("start binds port 0 on IPv4 and IPv6 and reports the bound ports; shutdown completes")
    func bindsAndStops() throws {
        let test = try TestServer { $0.listeners = [.init(address: "127.0.0.1", port: 0), .init(address: "::1", port: 0)] }
        #expect(test.server.listeningPorts.count == 2)
        #expect(test.server.listeningPorts.allSatisfy { $0 != 0 })
        let v4 = try RawClient(port: test.server.listeningPorts[0], host: "127.0.0.1")
        let v6 = try RawClient(port: test.server.listeningPorts[1], host: "::1")
        v4.close()
        v6.close()
        test.stop()
        #expect(throws: RawClient.Failure.self) { try RawClient(port: test.port) }
    }

    @Test("a port in use is a start error naming the listener")
    func portInUse() throws {
        let first = try TestServer()
        defer { first.stop() }
        do {
            _ = try TestServer { $0.listeners = [.init(address: "127.0.0.1", port: first.port)] }
            Issue.record("expected a bind error")
        } catch let error as ServerError {
            #expect(error.description.contains("127.0.0.1:\(first.port)"))
        }
    }

    @Test("max_connections refuses extra connections: accepted, then closed at once")
    func maxConnections() throws {
        let test = try TestServer { $0.maxConnections = 1 }
        defer { test.stop() }
        let kept = try RawClient(port: test.port)
        let refused = try RawClient(port: test.port)
        #expect(refused.waitForEOF(timeout: 5))
        #expect(!kept.waitForEOF(timeout: 0.2))
    }

    @Test("a corrupt snapshot stops the start with an error naming the file and offset")
    func corruptSnapshot() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        writeFile(directory + "/perch.db", "NOPE....")
        do {
            _ = try TestServer(persistenceDirectory: directory)
            Issue.record("expected a start error")
        } catch let error as ServerError {
            #expect(error.description.contains(directory + "/perch.db"))
            #expect(error.description.contains("at byte 0"))
        }
    }

    @Test("an unusable persistence directory stops the start with a clear error")
    func unusableDirectory() throws {
        let directory = makeTemporaryDirectory()
        defer { removeDirectory(directory) }
        writeFile(directory + "/file", "x")
        do {
            _ = try TestServer(persistenceDirectory: directory + "/file")
            Issue.record("expected a start error")
        } catch let error as ServerError {
            #expect(error.description.contains("not a directory"))
        }
    }

    @Test("an empty listener list is refused")
    func noListener() {
        #expect(throws: ServerError.self) { try TestServer { $0.listeners = [] } }
    }
}
