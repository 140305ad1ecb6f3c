#if canImport(Glibc)
import Glibc
#endif

/// A private epoll instance holding every socket of the server; one Dispatch read source
/// watches its fd (DESIGN.md, "The transport").
///
/// Swift's Glibc module does not import `<sys/epoll.h>`, and the import budget allows no C
/// shim module, so the three calls are looked up once with `dlsym` and called through
/// C function pointers; `epoll_event` is laid out by hand (packed, 12 bytes, on x86_64;
/// 16 bytes elsewhere):
///
///     x86_64:   | events u32 | data u64 |          others: | events u32 | pad | data u64 |
///               0            4          12                 0            4     8          16
final class Epoll {
    typealias Create = @convention(c) (Int32) -> Int32
    typealias Control = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias Wait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias WaitPrecise = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, UnsafePointer<timespec>?,
                                            UnsafeRawPointer?) -> Int32

    static let readable: UInt32 = 0x001      // EPOLLIN
    static let writable: UInt32 = 0x004      // EPOLLOUT
    static let error: UInt32 = 0x008         // EPOLLERR
    static let hangUp: UInt32 = 0x010        // EPOLLHUP
    static let add: Int32 = 1, delete: Int32 = 2, modify: Int32 = 3
    #if arch(x86_64)
    static let eventSize = 12, dataOffset = 4
    #else
    static let eventSize = 16, dataOffset = 8
    #endif

    let fd: Int32
    private let control: Control
    private let wait: Wait
    /// `epoll_pwait2` (glibc 2.35+, Linux 5.11+): a timeout finer than a millisecond.
    private let waitPrecise: WaitPrecise?
    /// Room for `capacity` events from one `epoll_wait`.
    private let events: UnsafeMutableRawBufferPointer
    let capacity: Int

    init(capacity: Int = 256) throws(ServerError) {
        let lookup = { (name: String) -> UnsafeMutableRawPointer? in dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) }
        guard let create = lookup("epoll_create1"), let control = lookup("epoll_ctl"),
              let wait = lookup("epoll_wait") else { throw ServerError("epoll is not available") }
        fd = unsafeBitCast(create, to: Create.self)(O_CLOEXEC)
        guard fd >= 0 else { throw .system("epoll_create1") }
        self.control = unsafeBitCast(control, to: Control.self)
        self.wait = unsafeBitCast(wait, to: Wait.self)
        waitPrecise = lookup("epoll_pwait2").map { unsafeBitCast($0, to: WaitPrecise.self) }
        self.capacity = capacity
        events = .allocate(byteCount: capacity * Epoll.eventSize, alignment: 8)
    }

    deinit {
        events.deallocate()
    }

    /// Closes the epoll fd. Not done in `deinit`: while a Dispatch source watches the fd it
    /// may only be closed from the source's cancel handler, or libdispatch may act on a
    /// reused descriptor number.
    func close() {
        _ = Glibc.close(fd)
    }

    /// Adds, modifies or removes `socket` with interest `mask`, tagged with `token`.
    @discardableResult
    func update(_ operation: Int32, _ socket: Int32, mask: UInt32, token: UInt64) -> Bool {
        var event = (UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &event) { raw in
            raw.storeBytes(of: mask, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: token, toByteOffset: Epoll.dataOffset, as: UInt64.self)
            return control(fd, operation, socket, raw.baseAddress) == 0
        }
    }

    /// Waits at most `timeout` ms (0: just poll) and returns the number of ready events.
    func poll(timeout: Int32) -> Int {
        while true {
            let n = wait(fd, events.baseAddress, Int32(capacity), timeout)
            if n >= 0 { return Int(n) }
            if errno != EINTR { return 0 }
        }
    }

    /// Waits at most `nanoseconds` for events (0 when `epoll_pwait2` is missing or fails,
    /// e.g. ENOSYS on an old kernel: then the server simply does not linger).
    func linger(nanoseconds: Int) -> Int {
        guard let waitPrecise else { return 0 }
        var timeout = timespec(tv_sec: 0, tv_nsec: nanoseconds)
        let n = waitPrecise(fd, events.baseAddress, Int32(capacity), &timeout, nil)
        return n > 0 ? Int(n) : 0
    }

    /// The ready mask and token of event `index` of the last `poll` or `linger`.
    func event(_ index: Int) -> (mask: UInt32, token: UInt64) {
        let base = index * Epoll.eventSize
        return (events.loadUnaligned(fromByteOffset: base, as: UInt32.self),
                events.loadUnaligned(fromByteOffset: base + Epoll.dataOffset, as: UInt64.self))
    }
}
