import HTTPCore

/// An HTTP/1.1 server on POSIX sockets and epoll: one event-loop thread per server.
public final class HTTPServer: Sendable {
    public init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) {
        fatalError("not implemented")
    }
    /// Binds, listens and starts the loop thread. Throws `HTTPServerError` (nothing left open on failure).
    public func start() throws {
        fatalError("not implemented")
    }
    /// The bound port (valid after `start()`).
    public var port: Int { fatalError("not implemented") }
    /// Stops accepting, lets in-flight requests finish (up to `shutdownGraceMs`), closes every connection,
    /// joins the loop thread. Idempotent. Blocks the caller until done.
    public func stop() {
        fatalError("not implemented")
    }
    /// Number of open client connections (for tests and metrics).
    public var connectionCount: Int { fatalError("not implemented") }
}
