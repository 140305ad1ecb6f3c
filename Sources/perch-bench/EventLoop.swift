import Glibc

/// A plain edge-triggered epoll set: every socket is registered once for
/// EPOLLIN | EPOLLOUT | EPOLLRDHUP with EPOLLET, so readiness arrives as edges and the
/// loop keeps its own `readable` / `writable` flags (no epoll_ctl per write).
/// The event's data carries the client index.
///
/// Swift's Glibc module does not import `<sys/epoll.h>`, so the three calls are looked up
/// once with `dlsym` and called through C function pointers, and `epoll_event` is laid
/// out by hand (packed, 12 bytes, on x86_64; 16 bytes elsewhere):
///
///     x86_64:   | events u32 | data u64 |          others: | events u32 | pad | data u64 |
///               0            4          12                 0            4     8          16
final class EventLoop {
    typealias Create = @convention(c) (Int32) -> Int32
    typealias Control = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias Wait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32

    static let readable: UInt32 = 0x001        // EPOLLIN
    static let writable: UInt32 = 0x004        // EPOLLOUT
    static let error: UInt32 = 0x008           // EPOLLERR
    static let hangUp: UInt32 = 0x010          // EPOLLHUP
    static let readHangUp: UInt32 = 0x2000     // EPOLLRDHUP
    static let edgeTriggered: UInt32 = 1 << 31 // EPOLLET
    #if arch(x86_64)
    static let eventSize = 12, dataOffset = 4
    #else
    static let eventSize = 16, dataOffset = 8
    #endif

    let epollFD: Int32
    private let control: Control
    private let waitCall: Wait
    private let capacity = 1024
    private let events: UnsafeMutableRawBufferPointer

    init() {
        let lookup = { (name: String) -> UnsafeMutableRawPointer? in dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) }
        guard let create = lookup("epoll_create1"), let control = lookup("epoll_ctl"),
              let wait = lookup("epoll_wait") else { fatalError("epoll is not available") }
        epollFD = unsafeBitCast(create, to: Create.self)(O_CLOEXEC)
        precondition(epollFD >= 0, "epoll_create1 failed: errno \(errno)")
        self.control = unsafeBitCast(control, to: Control.self)
        waitCall = unsafeBitCast(wait, to: Wait.self)
        events = .allocate(byteCount: capacity * EventLoop.eventSize, alignment: 8)
    }

    deinit {
        events.deallocate()
        _ = Glibc.close(epollFD)
    }

    func add(_ fd: Int32, token: Int) -> Bool {
        var event = (UInt64(0), UInt64(0))
        let mask = EventLoop.readable | EventLoop.writable | EventLoop.readHangUp | EventLoop.edgeTriggered
        return withUnsafeMutableBytes(of: &event) { raw in
            raw.storeBytes(of: mask, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: UInt64(token), toByteOffset: EventLoop.dataOffset, as: UInt64.self)
            return control(epollFD, 1, fd, raw.baseAddress) == 0  // EPOLL_CTL_ADD
        }
    }

    /// Waits up to `timeoutMilliseconds` (0 = poll) and calls `handle(token, events)` per event.
    func wait(timeoutMilliseconds: Int32, _ handle: (Int, UInt32) -> Void) {
        let count = waitCall(epollFD, events.baseAddress, Int32(capacity), timeoutMilliseconds)
        guard count > 0 else { return }
        for index in 0..<Int(count) {
            let base = index * EventLoop.eventSize
            handle(Int(events.loadUnaligned(fromByteOffset: base + EventLoop.dataOffset, as: UInt64.self)),
                   events.loadUnaligned(fromByteOffset: base, as: UInt32.self))
        }
    }
}

/// Non-blocking TCP sockets to the broker.
enum Socket {
    /// Starts a non-blocking connect to an IPv4 address; returns the fd or nil.
    static func connect(host: String, port: UInt16) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { _ = close(fd); return nil }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 || errno == EINPROGRESS else { _ = close(fd); return nil }
        return fd
    }

    /// The pending error of a socket (SO_ERROR) after a non-blocking connect; 0 when connected.
    static func pendingError(_ fd: Int32) -> Int32 {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error
    }
}
