import CLinux
import Glibc
import HTTPCore
import HTTPServer
import Synchronization
import TestSupport
import Testing

/// Every live server test runs one at a time: some count process descriptors or connections.
@Suite(.serialized) struct LiveServerTests {}

/// A configurable handler: echoes by default (`<METHOD> <target> <body>`).
struct TestHandler: HTTPHandler {
    var limit = 1024 * 1024
    var onPreflight: @Sendable (HTTPRequestHead) -> HTTPResponse? = { _ in nil }
    /// Nil (the default) keeps bodies buffered in `request.body`.
    var onBodySink: (@Sendable (HTTPRequestHead) -> (any HTTPBodySink)?)?
    var onRequest: @Sendable (HTTPRequest, HTTPResponder) -> Void = { request, responder in
        let text = "\(request.method) \(request.head.target) \(String(decoding: request.body, as: UTF8.self))"
        responder.respond(HTTPResponse(status: 200, body: Array(text.utf8)))
    }

    /// The refusal (`onPreflight`), else the limit, the sink and the request callback. A body announced over
    /// the limit gets no sink: the server answers 413 before reading it.
    func accept(_ head: HTTPRequestHead) -> HTTPAcceptance {
        if let refusal = onPreflight(head) { return .reject(refusal) }
        var sink: (any HTTPBodySink)?
        if case .contentLength(let length) = head.framing, length > limit {
            sink = nil
        } else {
            sink = onBodySink?(head)
        }
        return .accept(HTTPAcceptedRequest(bodyLimit: limit, sink: sink, handle: onRequest))
    }
    func errorResponse(status: Int, reason: String) -> HTTPResponse {
        .json(status, #"{"error":{"status":"\#(status)","message":"\#(reason)"}}"#)
    }
}

/// Responders a handler kept to answer later, by request target.
final class HeldResponders: Sendable {
    private let held = Mutex<[String: HTTPResponder]>([:])

    func hold(_ target: String, _ responder: HTTPResponder) {
        held.withLock { $0[target] = responder }
    }

    /// The responder kept for `target`, if the handler was called for it.
    func peek(_ target: String) -> HTTPResponder? {
        held.withLock { $0[target] }
    }

    /// Waits until the handler has been called for `target`; returns its responder.
    func wait(for target: String, timeoutMs: Int = 5_000) throws -> HTTPResponder {
        var found: HTTPResponder?
        _ = eventually(timeoutMs: timeoutMs) {
            found = held.withLock { $0[target] }
            return found != nil
        }
        return try #require(found, "handler never saw \(target)")
    }
}

/// Polls `condition` until it holds or the deadline passes; returns its last value.
@discardableResult
func eventually(timeoutMs: Int = 5_000, _ condition: () -> Bool) -> Bool {
    let deadline = clinux_monotonic_ms() + Int64(timeoutMs)
    while !condition() {
        if clinux_monotonic_ms() >= deadline { return false }
        usleep(1_000)
    }
    return true
}

/// A configuration on 127.0.0.1 with an ephemeral port and three event loops (so every live test crosses the
/// acceptor's hand-off), adjusted by `edit`.
func testConfiguration(_ edit: (inout HTTPServerConfiguration) -> Void = { _ in }) -> HTTPServerConfiguration {
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
    configuration.name = "test"
    configuration.loops = 3
    edit(&configuration)
    return configuration
}

/// Starts a server, runs `body`, stops it.
func withServer(
    handler: TestHandler = TestHandler(),
    configuration: HTTPServerConfiguration = testConfiguration(),
    _ body: (HTTPServer) throws -> Void
) throws {
    let server = HTTPServer(configuration: configuration, handler: handler)
    try server.start()
    defer { server.stop() }
    try body(server)
}

/// Milliseconds elapsed while running `body`.
func elapsedMs(_ body: () throws -> Void) rethrows -> Int64 {
    let start = clinux_monotonic_ms()
    try body()
    return clinux_monotonic_ms() - start
}

/// Number of open descriptors of this process.
func openDescriptorCount() -> Int {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    while readdir(directory) != nil { count += 1 }
    return count
}

/// A flag set once from any thread.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// The shared raw client under the names these tests use.
typealias TestClient = RawHTTPConnection
typealias TestResponse = RawHTTPConnection.Response
typealias TestClientError = RawHTTPConnection.Failure
