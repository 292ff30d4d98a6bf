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
    }

    var segments: [Substring] { pattern.split(separator: "/", omittingEmptySubsequences: false) }
}

/// Matches a method and path against a route table: most literal segments win; a path that matches but
/// not for this method is a 405 with `Allow`.
struct Router: Sendable {
    enum Match {
        case found(Route, [String: String])
        case methodNotAllowed(allow: [String])
        case notFound
    }

    let routes: [Route]

    init(_ routes: [Route]) { self.routes = routes }

    func match(method: String, path: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        var best: (literals: Int, pattern: String)?
        var candidates: [(route: Route, params: [String: String], literals: Int)] = []
        for route in routes {
            guard let (params, literals) = Self.bind(route.segments, parts) else { continue }
            candidates.append((route, params, literals))
            if best == nil || literals > best!.literals { best = (literals, route.pattern) }
        }
        guard let best else { return .notFound }
        let top = candidates.filter { $0.route.pattern == best.pattern }
        if let hit = top.first(where: { $0.route.method == method }) { return .found(hit.route, hit.params) }
        return .methodNotAllowed(allow: top.map(\.route.method))
    }

    private static func bind(_ pattern: [Substring], _ parts: [Substring]) -> ([String: String], Int)? {
        guard pattern.count == parts.count else { return nil }
        var params: [String: String] = [:]
        var literals = 0
        for (p, s) in zip(pattern, parts) {
            if p.hasPrefix("{") && p.hasSuffix("}") {
                guard !s.isEmpty, let decoded = HTTPQuery.percentDecode(String(s)) else { return nil }
                params[String(p.dropFirst().dropLast())] = decoded
            } else {
                guard p == s else { return nil }
                literals += 1
            }
        }
        return (params, literals)
    }
}

extension Router {
    /// The body limit of the route a head addresses (JSON-sized when it is not a streamed route, or unmatched,
    /// so that 401/404/405 are answered from the head).
    func bodyLimit(for head: HTTPRequestHead, json: Int) -> Int {
        guard case .found(let route, _) = match(method: head.method, path: head.path), let streamed = route.streamed
        else { return json }
        return streamed.limit()
    }

    /// A streamed route's head check.
    func checkStreamed(_ head: HTTPRequestHead) -> APIError? {
        guard case .found(let route, let params) = match(method: head.method, path: head.path),
            let streamed = route.streamed
        else { return nil }
        return streamed.check(head, params)
    }

    /// A streamed route's sink.
    func sink(for head: HTTPRequestHead) -> (any HTTPBodySink)? {
        guard case .found(let route, let params) = match(method: head.method, path: head.path),
            let streamed = route.streamed
        else { return nil }
        return streamed.sink(head, params)
    }
}
