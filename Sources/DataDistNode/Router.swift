import DataDistModel
import HTTPCore
import HTTPServer

/// What a route handler gets: the request, the `{name}` path parameters and the responder.
struct RouteContext: Sendable {
    let request: HTTPRequest
    let params: [String: String]
    let responder: HTTPResponder

    func respond(_ response: HTTPResponse) { responder.respond(response) }
    func respond(_ error: APIError) { responder.respond(.error(error)) }
    func respond(_ status: Int, _ value: JSONValue) { responder.respond(.json(status, value)) }

    /// Decoded query parameters (last value wins).
    var query: [String: String] {
        var out: [String: String] = [:]
        for (k, v) in HTTPQuery.parse(request.head.query) { out[k] = v }
        return out
    }
}

/// A route whose body is binary and streamed into memory rather than buffered (tensor writes, pushed KV).
struct StreamedBody: Sendable {
    /// The largest body accepted.
    let limit: @Sendable () -> Int
    /// Refuses a request from its head alone (wrong length, unknown target) before any body byte is read.
    let check: @Sendable (HTTPRequestHead, [String: String]) -> APIError?
    /// Where the body goes; nil falls back to buffering (the handler then re-checks).
    let sink: @Sendable (HTTPRequestHead, [String: String]) -> (any HTTPBodySink)?
}

/// One entry of a route table: `GET /v1/links/{remote_cluster_id}`.
struct Route: Sendable {
    let method: String
    let pattern: String
    /// False for the routes an admin token does not guard (`/healthz`, `/readyz`).
    let needsAuth: Bool
    let streamed: StreamedBody?
    let handler: @Sendable (RouteContext) -> Void
    /// `METHOD /pattern`, the route's name in metrics.
    let label: String

    init(
        _ method: String,
        _ pattern: String,
        needsAuth: Bool = true,
        streamed: StreamedBody? = nil,
        _ handler: @escaping @Sendable (RouteContext) -> Void
    ) {
        self.method = method
        self.pattern = pattern
        self.needsAuth = needsAuth
        self.streamed = streamed
        self.handler = handler
        self.label = method + " " + pattern
    }

    /// Runs the handler for a matched request: the one entry point the routed handlers call.
    func invoke(_ request: HTTPRequest, params: [String: String], responder: HTTPResponder) {
        handler(RouteContext(request: request, params: params, responder: responder))
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

    /// A streamed route's head check, for a match already made.
    func checkStreamed(_ head: HTTPRequestHead, route: Route, params: [String: String]) -> APIError? {
        route.streamed?.check(head, params)
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
