#if canImport(Glibc)
import Glibc
#endif
import PerchStreams

/// The server's listening sockets, each with its configuration, its TLS context (one
/// `SSL_CTX` per listener) and the number of connections it holds now. Listener `i` is in
/// the epoll set under token `UInt64.max - i`; connection ids never come near those.
struct ListenerSet {
    struct Bound {
        let fd: Int32
        let configuration: ServerConfiguration.Listener
        /// `127.0.0.1:1883`, `[::]:8883` or the socket path, for logs.
        let name: String
        let port: UInt16
        let tls: TLSContext?
        /// Open connections accepted on it (for its `max_connections`).
        var connections = 0
    }

    private(set) var bound: [Bound] = []
    /// Accepting stopped (out of descriptors) until a connection closes.
    private(set) var paused = false

    var count: Int { bound.count }
    var ports: [UInt16] { bound.map(\.port) }

    subscript(index: Int) -> Bound {
        _read { yield bound[index] }
        _modify { yield &bound[index] }
    }

    static func token(_ index: Int) -> UInt64 { UInt64.max - UInt64(index) }

    /// SIGHUP re-read the PSK files: the TLS-PSK listeners' new identities and keys, each
    /// listener's from `keys` (nil: unchanged).
    func replacePSKKeys(_ keys: (ServerConfiguration.Listener) -> [String: [UInt8]]?) {
        for listener in bound where listener.configuration.tls?.pskHint != nil {
            if let new = keys(listener.configuration) { listener.tls?.replacePSKKeys(new) }
        }
    }

    /// The listener an epoll token stands for, if it is one.
    func index(ofToken token: UInt64) -> Int? {
        let index = UInt64.max - token
        return index < UInt64(bound.count) ? Int(index) : nil
    }

    /// Builds every TLS context, then binds every listener and adds it to `epoll`; on any
    /// failure closes what it opened and throws. Returns the TLS contexts' warnings.
    mutating func bind(_ listeners: [ServerConfiguration.Listener], epoll: Epoll) throws(ServerError) -> [String] {
        var warnings: [String] = []
        var contexts: [TLSContext?] = []
        for listener in listeners {
            guard let tls = listener.tls else {
                contexts.append(nil)
                continue
            }
            do throws(TLSError) {
                let context = try TLSContext(tls)
                warnings += context.warnings.map { "listener \(listener): \($0)" }
                contexts.append(context)
            } catch {
                throw ServerError("listener \(listener): \(error)")
            }
        }
        do throws(ServerError) {
            for (index, listener) in listeners.enumerated() {
                let (fd, port) = try Self.open(listener)
                let name = listener.unixSocketPath ?? ServerConfiguration.Listener(address: listener.address, port: port).description
                bound.append(Bound(fd: fd, configuration: listener, name: name, port: port, tls: contexts[index]))
                epoll.update(Epoll.add, fd, mask: Epoll.readable, token: Self.token(index))
            }
        } catch {
            closeAll(epoll: epoll)
            throw error
        }
        return warnings
    }

    private static func open(_ listener: ServerConfiguration.Listener) throws(ServerError) -> (Int32, UInt16) {
        if let path = listener.unixSocketPath { return (try Socket.listenUnix(path), 0) }
        return try Socket.listen(listener)
    }

    /// Closes every listening socket and removes the Unix sockets' files.
    mutating func closeAll(epoll: Epoll?) {
        for listener in bound {
            epoll?.update(Epoll.delete, listener.fd, mask: 0, token: 0)
            close(listener.fd)
            if let path = listener.configuration.unixSocketPath { unlink(path) }
        }
        bound = []
    }

    /// Out of descriptors (EMFILE) or another accept failure: stop watching the listeners
    /// until a connection closes, instead of spinning on a level-triggered listener.
    mutating func pause(epoll: Epoll) {
        guard !paused else { return }
        paused = true
        for index in bound.indices { epoll.update(Epoll.modify, bound[index].fd, mask: 0, token: Self.token(index)) }
    }

    mutating func resume(epoll: Epoll) {
        guard paused else { return }
        paused = false
        for index in bound.indices {
            epoll.update(Epoll.modify, bound[index].fd, mask: Epoll.readable, token: Self.token(index))
        }
    }
}
