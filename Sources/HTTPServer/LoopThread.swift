import Glibc

/// The OS thread running one `EventLoop`.
struct LoopThread: Sendable {
    let loop: EventLoop
    let thread: pthread_t

    /// Starts `loop.run()` on a new thread.
    static func spawn(_ loop: EventLoop) throws(HTTPServerError) -> LoopThread {
        let retained = Unmanaged.passRetained(loop)
        var thread = pthread_t()
        let code = pthread_create(
            &thread,
            nil,
            { argument in
                let loop = Unmanaged<EventLoop>.fromOpaque(argument!).takeRetainedValue()
                loop.run()
                return nil
            },
            retained.toOpaque()
        )
        guard code == 0 else {
            retained.release()
            throw HTTPServerError(
                operation: "pthread_create",
                errno: code,
                message: "pthread_create: \(Syscall.text(code))"
            )
        }
        return LoopThread(loop: loop, thread: thread)
    }

    /// Waits for the loop to return.
    func join() {
        pthread_join(thread, nil)
    }
}
