import HTTPCore
import Logging
import TLSTransport

/// Completes one request. Call exactly once, from any thread; later calls are ignored.
public struct HTTPResponder: Sendable {
    let body: @Sendable (HTTPResponse) -> Void
    public init(_ body: @escaping @Sendable (HTTPResponse) -> Void) { self.body = body }
    public func respond(_ response: HTTPResponse) { body(response) }
}

/// A request head the handler took on: how large a body it accepts, where the body goes, and what completes
/// the request. The server carries this one value from the head through the body to the completion, so the
/// handler decides everything about a request once (its route, parameters and pins live in `handle`).
public struct HTTPAcceptedRequest: Sendable {
    /// Largest body accepted (a larger Content-Length → 413 before any body byte is read).
    public var bodyLimit: Int
    /// Where the body goes as it arrives; nil buffers it into `request.body`. With a sink, `handle` gets
    /// `request.sink` and an empty `request.body`.
    public var sink: (any HTTPBodySink)?
    /// Completes the request once its body has arrived. Responses on a connection are sent in request order.
    public var handle: @Sendable (HTTPRequest, HTTPResponder) -> Void

    public init(
        bodyLimit: Int,
        sink: (any HTTPBodySink)? = nil,
        handle: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void
    ) {
        self.bodyLimit = bodyLimit
        self.sink = sink
        self.handle = handle
    }
}

/// The one decision a handler takes on a request head.
public enum HTTPAcceptance: Sendable {
    /// Answered from the head alone (e.g. 401, 404/405): sent without reading the body, then the connection closes.
    case reject(HTTPResponse)
    /// Go on: `100 Continue` is sent when the client expects it, the body is read up to the limit.
    case accept(HTTPAcceptedRequest)
}

/// What the server asks the application. Called on the server's event-loop thread: must not block.
/// Work that waits (network, disk) is started elsewhere and finished through the responder.
public protocol HTTPHandler: Sendable {
    /// Called exactly once per request head, before any of its body is read.
    func accept(_ head: HTTPRequestHead) -> HTTPAcceptance
    /// The JSON body for an error the server produces itself (parse errors, 408, 413, 503 over the connection cap).
    func errorResponse(status: Int, reason: String) -> HTTPResponse
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
    /// Paths still answered when `maxConnections` is reached (e.g. `/healthz`, `/readyz`): a connection over
    /// the cap is then read up to its head (on the header timeout from accept), served when its path is one of
    /// these and answered 503 otherwise. Empty (the default): a connection over the cap is answered 503 at once.
    public var reservedPaths: Set<String> = []
    /// Connections over the cap kept waiting for a head to a reserved path; when they are all taken the
    /// oldest that has sent nothing yet is answered 503 to make room.
    public var reservedSlots: Int = 8
    /// Time to receive a complete request head once its first byte arrived (→ 408 and close).
    public var headerTimeoutMs: Int = 10_000
    /// Longest pause between body bytes (→ 408 and close).
    public var bodyTimeoutMs: Int = 30_000
    /// Largest single read while a request body arrives (the loop's read buffer; heads are read 64 KiB at a time).
    public var bodyReadBytes: Int = 256 * 1024
    /// Idle keep-alive connections (and connections that never send a byte) are closed after this.
    public var idleTimeoutMs: Int = 60_000
    /// On stop, in-flight requests get this long to finish.
    public var shutdownGraceMs: Int = 5_000
    /// How long a closing connection keeps draining input so its last response is not lost to a reset.
    public var lingerMs: Int = 2_000
    /// Event-loop threads serving the connections (`--io-threads`, CONTRACT §9); at least 1.
    public var loops: Int = 1
    /// Told the bound port once the socket listens, before any loop thread runs (so before any request is served):
    /// what a handler needs to know about its own address is in place before the first request asks.
    public var onListening: (@Sendable (Int) -> Void)?
    /// A name for threads and log lines ("admin", "peer").
    public var name: String = "http"
    /// The clock every timeout runs on (a `ManualClock` in tests).
    public var clock: MonotonicClock = .system
    /// Where the server says what it otherwise swallows (failed accept, epoll_ctl, writes, refused responses),
    /// at debug level; nil says nothing.
    public var logger: Logger?
    /// A server context: every accepted connection speaks TLS through it (CONTRACT §13); nil serves plaintext.
    public var tls: TLSContext?

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
