import HTTPCore

/// Completes one request. Call exactly once, from any thread; later calls are ignored.
public struct HTTPResponder: Sendable {
    let body: @Sendable (HTTPResponse) -> Void
    public init(_ body: @escaping @Sendable (HTTPResponse) -> Void) { self.body = body }
    public func respond(_ response: HTTPResponse) { body(response) }
}

/// What the server asks the application. Called on the server's event-loop thread: must not block.
/// Work that waits (network, disk) is started elsewhere and finished through the responder.
public protocol HTTPHandler: Sendable {
    /// Largest body accepted for this head (→ 413 before any body byte is read).
    func bodyLimit(for head: HTTPRequestHead) -> Int
    /// A chance to refuse a request from its head alone (e.g. 401, 404/405 for a body-carrying request);
    /// the response is sent without reading the body, then the connection closes. Nil = go on (and
    /// `100 Continue` is sent when the client expects it).
    func preflight(_ head: HTTPRequestHead) -> HTTPResponse?
    /// Where the body of an accepted head goes as it arrives (asked after `preflight`, before `100 Continue`).
    /// Nil (the default) buffers it into `request.body`; with a sink, `handle` gets `request.sink` and an empty
    /// `request.body`.
    func bodySink(for head: HTTPRequestHead) -> (any HTTPBodySink)?
    /// Handles a complete request. Responses on a connection are sent in request order.
    func handle(_ request: HTTPRequest, responder: HTTPResponder)
    /// The JSON body for an error the server produces itself (parse errors, 408, 503 over the connection cap).
    func errorResponse(status: Int, reason: String) -> HTTPResponse
}

extension HTTPHandler {
    /// Buffers every body into `request.body`.
    public func bodySink(for head: HTTPRequestHead) -> (any HTTPBodySink)? { nil }
}

/// Server settings. Durations in milliseconds.
public struct HTTPServerConfiguration: Sendable {
    /// IPv4 literal (`127.0.0.1`, `0.0.0.0`) or IPv6 literal without brackets (`::1`).
    public var host: String
    /// 0 = an ephemeral port (read `HTTPServer.port` after `start()`).
    public var port: Int
    public var limits: HTTPLimits = HTTPLimits()
    /// Open connections allowed; one more is answered 503 and closed.
    public var maxConnections: Int = 1024
    /// Time to receive a complete request head once its first byte arrived (→ 408 and close).
    public var headerTimeoutMs: Int = 10_000
    /// Longest pause between body bytes (→ 408 and close).
    public var bodyTimeoutMs: Int = 30_000
    /// Largest single read while a request body arrives (the loop's read buffer; heads are read 64 KiB at a time).
    public var bodyReadBytes: Int = 256 * 1024
    /// Idle keep-alive connections are closed after this.
    public var idleTimeoutMs: Int = 60_000
    /// On stop, in-flight requests get this long to finish.
    public var shutdownGraceMs: Int = 5_000
    /// A name for threads and log lines ("admin", "peer").
    public var name: String = "http"

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// Why `start()` failed: the syscall and the OS reason (strerror), e.g. "bind 127.0.0.1:26000: Address already in use".
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var errno: Int32
    public var message: String
    public init(operation: String, errno: Int32, message: String) {
        self.operation = operation
        self.errno = errno
        self.message = message
    }
    public var description: String { message }
}
