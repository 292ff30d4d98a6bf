import Glibc

/// A plain OS thread for blocking work (the bench measures blocking sockets and libcurl calls, so it
/// must not borrow Dispatch's limited worker pool).
struct BenchThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private let id: pthread_t

    /// Starts `body` on a new thread.
    init(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(
            &tid,
            nil,
            { raw in
                Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            },
            box
        )
        precondition(rc == 0, "pthread_create failed: \(rc)")
        id = tid
    }

    func join() { pthread_join(id, nil) }

    /// Nobody will join this thread: its resources go back when it ends.
    func detach() { pthread_detach(id) }
}

/// CPU seconds the calling thread has used.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
