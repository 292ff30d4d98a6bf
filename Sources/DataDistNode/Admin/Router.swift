import DataDistModel
import HTTPCore
import HTTPServer

/// What a route handler gets: the request and its `{name}` path parameters.
struct RouteContext: Sendable {
    let request: HTTPRequest
    let params: [String: String]

    /// Decoded query parameters (last value wins).
    var query: [String: String] {
        var out: [String: String] = [:]
        for (k, v) in HTTPQuery.parse(request.head.query) { out[k] = v }
        return out
    }

    /// A path parameter as text (the pattern names it, so it is present; "" otherwise).
    func param(_ name: String) -> String { params[name] ?? "" }

    /// A path parameter converted to `T`: TYPE_ERROR (400) when the text is not one.
    func param<T: LosslessStringConvertible>(_ name: String, as type: T.Type) throws(APIError) -> T {
        try Self.parameter(name, param(name), as: type)
    }

    /// An integer path parameter: TYPE_ERROR (400) naming the range when the text is not one.
    func param<T: FixedWidthInteger>(_ name: String, as type: T.Type) throws(APIError) -> T {
        try Self.parameter(name, param(name), as: type)
    }

    /// `param(_:as:)` for a head seen before the request is complete (streamed routes).
    static func parameter<T: LosslessStringConvertible>(
        _ name: String,
        _ text: String,
        as type: T.Type
    ) throws(APIError) -> T {
        guard let value = T(text) else { throw .typeError("'\(text)' is not a valid \(name) (a \(T.self))") }
        return value
    }

    static func parameter<T: FixedWidthInteger>(_ name: String, _ text: String, as type: T.Type) throws(APIError) -> T {
        guard let value = T(text) else {
            throw .typeError("'\(text)' is not a valid \(name) (an integer in \(T.min)...\(T.max))")
        }
        return value
    }
}

/// A route whose body is binary and streamed into memory rather than buffered (tensor writes, pushed KV).
struct StreamedBody: Sendable {
    /// The largest body accepted.
    let limit: @Sendable () -> Int
    /// Refuses a request from its head alone (wrong length, unknown target) before any body byte is read.
    let check: @Sendable (HTTPRequestHead, [String: String]) throws(APIError) -> Void
    /// Where the body goes; nil falls back to buffering (the handler then re-checks).
    let sink: @Sendable (HTTPRequestHead, [String: String]) -> (any HTTPBodySink)?
}

/// How a deferred route answers: once, from whatever thread finished the work.
typealias RouteCompletion = @Sendable (Result<HTTPResponse, APIError>) -> Void

/// A route's handler: answers at once, or hands its work off the event loop (link handshakes, transfers,
/// role switches, large copies, long polls) and completes later. Either way an `APIError` is the one way to
/// fail; `Route.invoke` turns it into the CONTRACT §3 error body.
enum RouteHandler: Sendable {
    case immediate(@Sendable (RouteContext) throws(APIError) -> HTTPResponse)
    /// Throws only before the work is handed off; afterwards it answers through the completion alone.
    case deferred(@Sendable (RouteContext, @escaping RouteCompletion) throws(APIError) -> Void)
}

/// One entry of a route table: `GET /v1/links/{remote_cluster_id}`.
struct Route: Sendable {
    let method: String
    let pattern: String
    /// False for the routes an admin token does not guard (`/healthz`, `/readyz`).
    let needsAuth: Bool
    let streamed: StreamedBody?
    let handler: RouteHandler
    /// `METHOD /pattern`, the route's name in metrics.
    let label: String

    /// A route answering on the event loop.
    init(
        _ method: String,
        _ pattern: String,
        needsAuth: Bool = true,
        streamed: StreamedBody? = nil,
        _ handler: @escaping @Sendable (RouteContext) throws(APIError) -> HTTPResponse
    ) {
        self.init(method, pattern, needsAuth: needsAuth, streamed: streamed, handler: .immediate(handler))
    }

    /// A route whose work runs off the event loop and completes later.
    init(
        _ method: String,
        _ pattern: String,
        needsAuth: Bool = true,
        streamed: StreamedBody? = nil,
        deferred handler: @escaping @Sendable (RouteContext, @escaping RouteCompletion) throws(APIError) -> Void
    ) {
        self.init(method, pattern, needsAuth: needsAuth, streamed: streamed, handler: .deferred(handler))
    }

    private init(_ method: String, _ pattern: String, needsAuth: Bool, streamed: StreamedBody?, handler: RouteHandler) {
        self.method = method
        self.pattern = pattern
        self.needsAuth = needsAuth
        self.streamed = streamed
        self.handler = handler
        self.label = method + " " + pattern
    }

    /// Runs the handler for a matched request: the one entry point the routed handlers call, and the one
    /// place an `APIError` becomes its error response.
    func invoke(_ request: HTTPRequest, params: [String: String], responder: HTTPResponder) {
        let ctx = RouteContext(request: request, params: params)
        do throws(APIError) {
            switch handler {
            case .immediate(let handle):
                responder.respond(try handle(ctx))
            case .deferred(let start):
                try start(ctx) { result in
                    switch result {
                    case .success(let response): responder.respond(response)
                    case .failure(let error): responder.respond(.error(error))
                    }
                }
            }
        } catch {
            responder.respond(.error(error))
        }
    }
}

/// Matches a method and path against a route table: most literal segments win; a path that matches but
/// not for this method is a 405 with `Allow`. Patterns are split into UTF-8 segments once, at init: a match
/// is a few byte comparisons per route (it runs several times per request, on the event loop).
struct Router: Sendable {
    enum Match {
        case found(Route, [String: String])
        case methodNotAllowed(allow: [String])
        case notFound
    }

    private enum Segment: Sendable {
        case literal([UInt8])
        case parameter(String)
    }

    private struct Compiled: Sendable {
        let route: Route
        let segments: [Segment]
        let literals: Int
    }

    let routes: [Route]
    private let compiled: [Compiled]

    init(_ routes: [Route]) {
        self.routes = routes
        compiled = routes.map { route in
            let segments: [Segment] = route.pattern.utf8.split(
                separator: UInt8(ascii: "/"),
                omittingEmptySubsequences: false
            )
            .map { part in
                if part.first == UInt8(ascii: "{"), part.last == UInt8(ascii: "}") {
                    return .parameter(String(decoding: part.dropFirst().dropLast(), as: UTF8.self))
                }
                return .literal(Array(part))
            }
            let literals = segments.filter { if case .literal = $0 { true } else { false } }.count
            return Compiled(route: route, segments: segments, literals: literals)
        }
    }

    func match(method: String, path: String) -> Match {
        var path = path
        return path.withUTF8 { bytes in
            let parts = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            var bestLiterals = -1
            var bestSegments: [Segment]?
            var hit: (Compiled, Int)?
            var allow: [String] = []
            for (i, c) in compiled.enumerated() where c.segments.count == parts.count && c.literals >= bestLiterals {
                guard Self.matches(c.segments, parts) else { continue }
                if c.literals > bestLiterals {
                    bestLiterals = c.literals
                    bestSegments = c.segments
                    hit = nil
                    allow = []
                }
                allow.append(c.route.method)
                if hit == nil, c.route.method == method { hit = (c, i) }
            }
            guard bestSegments != nil else { return .notFound }
            guard let (c, _) = hit else { return .methodNotAllowed(allow: allow) }
            guard let params = Self.parameters(c.segments, parts) else { return .notFound }
            return .found(c.route, params)
        }
    }

    private static func matches(_ segments: [Segment], _ parts: [Slice<UnsafeBufferPointer<UInt8>>]) -> Bool {
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let bytes):
                guard bytes.count == part.count, bytes.elementsEqual(part) else { return false }
            case .parameter:
                guard !part.isEmpty else { return false }
            }
        }
        return true
    }

    private static func parameters(
        _ segments: [Segment],
        _ parts: [Slice<UnsafeBufferPointer<UInt8>>]
    ) -> [String: String]? {
        var params: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            guard case .parameter(let name) = segment else { continue }
            guard let decoded = HTTPQuery.percentDecode(String(decoding: part, as: UTF8.self)) else { return nil }
            params[name] = decoded
        }
        return params
    }
}

extension Router {
    /// The body limit of the route a head addresses (JSON-sized when it is not a streamed route, or unmatched,
    /// so that 401/404/405 are answered from the head).
    func bodyLimit(for head: HTTPRequestHead, json: Int) -> Int {
        if head.framing == .none { return json }
        guard case .found(let route, _) = match(method: head.method, path: head.path), let streamed = route.streamed
        else { return json }
        return streamed.limit()
    }

    /// A streamed route's sink.
    func sink(for head: HTTPRequestHead) -> (any HTTPBodySink)? {
        if head.framing == .none { return nil }
        guard case .found(let route, let params) = match(method: head.method, path: head.path),
            let streamed = route.streamed
        else { return nil }
        return streamed.sink(head, params)
    }
}
