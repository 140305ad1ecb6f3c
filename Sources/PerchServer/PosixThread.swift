#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread of its own (the workers that must not be libdispatch's pool threads).
enum PosixThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts a thread running `run`; the error number when the system refuses one. `run`
    /// should hold its owner `unowned`: the owner ends the thread (and joins it) itself.
    static func start(_ run: @escaping () -> Void) -> Result<pthread_t, Errno> {
        let body = Unmanaged.passRetained(Body(run))
        var handle = pthread_t()
        let status = pthread_create(&handle, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, body.toOpaque())
        guard status == 0 else {
            body.release()
            return .failure(Errno(status))
        }
        return .success(handle)
    }

    struct Errno: Error {
        let code: Int32
        init(_ code: Int32) { self.code = code }
    }
}
