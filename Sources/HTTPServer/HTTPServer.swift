import CLinux
import Glibc
import HTTPCore
import Synchronization

/// An HTTP/1.1 server on POSIX sockets and epoll: one event-loop thread per server.
public final class HTTPServer: Sendable {
    private let configuration: HTTPServerConfiguration
    private let handler: any HTTPHandler
    private let stats = ServerStats()
    /// The running loop thread. Held across `start`/`stop` so they are serialized (stop blocks in join).
    private let lifecycle = Mutex<LoopThread?>(nil)
    /// The running loop, for a `stop()` issued on the loop thread itself (which must not join).
    private let activeLoop = Mutex<EventLoop?>(nil)

    public init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
    }

    /// Binds, listens and starts the loop thread. Throws `HTTPServerError` (nothing left open on failure).
    /// A server may be started again after `stop()`; starting a running server throws (operation "start").
    public func start() throws {
        try lifecycle.withLock { (current: inout LoopThread?) throws(HTTPServerError) in
            if let previous = current {
                guard !stats.running.load(ordering: .acquiring) else {
                    throw HTTPServerError(
                        operation: "start",
                        errno: EALREADY,
                        message: "start \(configuration.name): already running on port \(port)"
                    )
                }
                previous.join()  // it stopped itself (stop() from its own thread)
                current = nil
            }
            let loop = try EventLoop(configuration: configuration, handler: handler, stats: stats)
            do throws(HTTPServerError) {
                current = try LoopThread.spawn(loop)
            } catch {
                loop.closeUnstarted()
                throw error
            }
            activeLoop.withLock { $0 = loop }
            stats.running.store(true, ordering: .releasing)
        }
    }

    /// The bound port (valid after `start()`).
    public var port: Int { stats.port.load(ordering: .acquiring) }

    /// Stops accepting (the port is free at once), lets in-flight requests finish (up to `shutdownGraceMs`),
    /// closes every connection, joins the loop thread. Idempotent. Blocks the caller until done.
    /// Called from a handler on the loop thread itself it cannot join: it starts the same graceful stop
    /// and returns at once.
    public func stop() {
        let onLoop = activeLoop.withLock { loop -> Bool in
            guard let loop, loop.isLoopThread else { return false }
            loop.requestStop()
            return true
        }
        if onLoop { return }
        lifecycle.withLock { current in
            guard let running = current else { return }
            running.loop.requestStop()
            running.join()
            current = nil
            activeLoop.withLock { $0 = nil }
        }
    }

    /// Number of open client connections (for tests and metrics).
    public var connectionCount: Int { stats.connections.load(ordering: .relaxed) }

    /// True from a successful `start()` until the loop has exited.
    public var isRunning: Bool { stats.running.load(ordering: .acquiring) }

    /// Sets SIGPIPE to be ignored process-wide. The server itself never needs it (every send uses
    /// MSG_NOSIGNAL); call it once in `main` for other code that writes to sockets or pipes.
    public static func ignoreSIGPIPE() {
        clinux_ignore_sigpipe()
    }
}
