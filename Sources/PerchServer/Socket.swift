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
        if let interface = listener.bindInterface {
            let bound = interface.withCString { name in
                setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, socklen_t(interface.utf8.count + 1))
            }
            guard bound == 0 else {
                let error = ServerError.system("listener \(listener): bind_interface \(interface)")
                close(fd)
                throw error
            }
        }
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

    /// A non-blocking listening Unix domain socket at `path`. A stale socket file there (left
    /// by a crash) is replaced; any other kind of file is an error naming the path.
    static func listenUnix(_ path: String) throws(ServerError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw ServerError("listener \(path): path longer than \(capacity - 1) bytes") }
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw ServerError("listener \(path): exists and is not a socket")
            }
            unlink(path)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("listener \(path): socket") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, SOMAXCONN) == 0 else {
            let error = ServerError.system("listener \(path): bind/listen")
            close(fd)
            throw error
        }
        return fd
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
