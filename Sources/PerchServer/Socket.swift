#if canImport(Glibc)
import Glibc
#endif

/// Socket system calls the transport uses, as small wrappers over Glibc.
enum Socket {
    /// A non-blocking listening socket bound to `listener` (SO_REUSEADDR; IPv6 sockets are
    /// IPV6_V6ONLY so `::` and `0.0.0.0` can share a port). Returns the fd and bound port.
    static func listen(_ listener: ServerConfiguration.Listener) throws(ServerError) -> (Int32, UInt16) {
        guard var address = SocketAddress(address: listener.address, port: listener.port) else {
            throw ServerError("listener \(listener): not a numeric IPv4 or IPv6 address")
        }
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("listener \(listener): socket") }
        setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        if address.family == AF_INET6 { setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
        let bound = withUnsafePointer(to: &address.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, address.length) }
        }
        guard bound == 0, Glibc.listen(fd, SOMAXCONN) == 0 else {
            let error = ServerError.system("listener \(listener): bind/listen")
            close(fd)
            throw error
        }
        return (fd, localAddress(fd)?.port ?? listener.port)
    }

    /// Accepts one connection: its non-blocking fd and peer address, nil on EAGAIN, or
    /// an errno for other failures.
    static func accept(_ listenerFD: Int32) -> Result<(Int32, SocketAddress)?, ServerError> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.accept(listenerFD, $0, &length)
            }
        }
        if fd < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { return .success(nil) }
            return .failure(.system("accept"))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        return .success((fd, SocketAddress(storage: storage, length: length)))
    }

    static func localAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return ok == 0 ? SocketAddress(storage: storage, length: length) : nil
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var v = value
        _ = setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
    }
}
