import CLinux
import Glibc
import HTTPCore
import Synchronization

/// An HTTP/1.1 server on POSIX sockets and epoll: `loops` event-loop threads (CONTRACT §9, `--io-threads`).
///
/// The first loop owns the listening socket and hands each accepted connection to the loops in turn
/// (round-robin, itself included); a connection then lives on its loop to the end, so its parsing, handler
/// decision, framing and writes all run on that loop's thread. One acceptor rather than SO_REUSEPORT listeners:
/// the kernel hashes REUSEPORT connections by their 4-tuple, so eight decoders could land on five loops and
/// leave three idle; round-robin puts N connections on N loops exactly, and accepting is never the bottleneck
/// (one accept per keep-alive connection). Connections over `maxConnections` (a 503, or a wait for a reserved
/// path) stay on the acceptor.
public final class HTTPServer: Sendable {
    private let configuration: HTTPServerConfiguration
    private let handler: any HTTPHandler
    private let stats = ServerStats()
    /// The running loop threads. Held across `start`/`stop` so they are serialized (stop blocks in join).
    private let lifecycle = Mutex<[LoopThread]?>(nil)
    /// The running loops, for a `stop()` issued on a loop thread itself (which must not join).
    private let activeLoops = Mutex<[EventLoop]>([])

    public init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
    }

    /// Binds, listens and starts the loop threads. Throws `HTTPServerError` (nothing left open on failure).
    /// A server may be started again after `stop()`; starting a running server throws (operation "start").
    public func start() throws {
        try lifecycle.withLock { (current: inout [LoopThread]?) throws(HTTPServerError) in
            if let previous = current {
                guard stats.runningLoops.load(ordering: .acquiring) == 0 else {
                    throw HTTPServerError(
                        operation: "start",
                        errno: EALREADY,
                        message: "start \(configuration.name): already running on port \(port)"
                    )
                }
                for thread in previous { thread.join() }  // they stopped themselves (stop() from a loop thread)
                current = nil
            }
            let loops = try makeLoops()
            configuration.onListening?(stats.port.load(ordering: .acquiring))
            stats.runningLoops.store(loops.count, ordering: .releasing)
            var threads: [LoopThread] = []
            for (i, loop) in loops.enumerated() {
                do throws(HTTPServerError) {
                    threads.append(try LoopThread.spawn(loop))
                } catch {
                    for thread in threads { thread.loop.requestStop() }
                    for thread in threads { thread.join() }
                    for unstarted in loops[i...] { unstarted.closeUnstarted() }
                    stats.runningLoops.store(0, ordering: .releasing)
                    throw error
                }
            }
            activeLoops.withLock { $0 = loops }
            current = threads
        }
    }

    /// The listener and `loops` event loops, the first one accepting for all. Nothing stays open on failure.
    private func makeLoops() throws(HTTPServerError) -> [EventLoop] {
        let listener = try ListeningSocket.open(host: configuration.host, port: configuration.port)
        var loops: [EventLoop] = []
        do throws(HTTPServerError) {
            for index in 0..<max(1, configuration.loops) {
                loops.append(
                    try EventLoop(
                        configuration: configuration,
                        handler: handler,
                        stats: stats,
                        index: index,
                        listener: index == 0 ? listener : nil
                    )
                )
            }
        } catch {
            for loop in loops { loop.closeUnstarted() }
            if loops.isEmpty { Glibc.close(listener.fd) }
            throw error
        }
        loops[0].group = loops
        stats.port.store(listener.port, ordering: .releasing)
        return loops
    }

    /// The bound port (valid after `start()`).
    public var port: Int { stats.port.load(ordering: .acquiring) }

    /// Stops accepting (the port is free at once), lets in-flight requests finish (up to `shutdownGraceMs`),
    /// closes every connection, joins the loop threads. Idempotent. Blocks the caller until done.
    /// Called from a handler on a loop thread it cannot join: it starts the same graceful stop and returns
    /// at once.
    public func stop() {
        let onLoop = activeLoops.withLock { loops -> Bool in
            guard loops.contains(where: { $0.isLoopThread }) else { return false }
            for loop in loops { loop.requestStop() }
            return true
        }
        if onLoop { return }
        lifecycle.withLock { current in
            guard let running = current else { return }
            for thread in running { thread.loop.requestStop() }
            for thread in running { thread.join() }
            current = nil
            activeLoops.withLock { $0 = [] }
        }
    }

    /// Number of open client connections (for tests and metrics).
    public var connectionCount: Int { stats.connections.load(ordering: .relaxed) }

    /// True from a successful `start()` until every loop has exited.
    public var isRunning: Bool { stats.runningLoops.load(ordering: .acquiring) > 0 }

    /// Sets SIGPIPE to be ignored process-wide. The server itself never needs it (every send uses
    /// MSG_NOSIGNAL); call it once in `main` for other code that writes to sockets or pipes.
    public static func ignoreSIGPIPE() {
        clinux_ignore_sigpipe()
    }
}
