#if canImport(Glibc)
import Glibc
#endif

extension RawClient {
    static func errorText() -> String { String(cString: strerror(errno)) }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func connect4(_ fd: Int32, _ host: String, _ port: UInt16) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    static func connect6(_ fd: Int32, _ host: String, _ port: UInt16) -> Bool {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { return false }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
            }
        }
    }
}

extension RawClient {
    /// Waits for EOF or a reset, discarding any bytes without decoding them. True when the
    /// server closed the connection within `timeout` seconds. `discarded` counts the bytes.
    public func waitForEOF(timeout: Double = 5, discarded: inout Int) -> Bool {
        let deadline = RawClient.monotonicSeconds() + timeout
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let remaining = deadline - RawClient.monotonicSeconds()
            guard remaining > 0 else { return false }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&descriptor, 1, Int32(max(1, remaining * 1000))) > 0 else { return false }
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) { return true }
            discarded += max(0, n)
        }
    }

    public func waitForEOF(timeout: Double = 5) -> Bool {
        var discarded = 0
        return waitForEOF(timeout: timeout, discarded: &discarded)
    }
}
