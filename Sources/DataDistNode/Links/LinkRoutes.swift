import DataDistModel
import HTTPCore

/// `/v1/links` (CONTRACT §5): link, unlink, list, check.
struct LinkRoutes: Sendable {
    let core: NodeCore
    let links: LinkController

    var routes: [Route] {
        [
            Route("POST", "/v1/links", deferred: link),
            Route("POST", "/v1/links/unlink", deferred: unlink),
            Route("GET", "/v1/links") { _ in .json(200, core.state.withLock { LinkListing.list($0.links) }) },
            Route("GET", "/v1/links/{remote_cluster_id}", deferred: check),
            Route("DELETE", "/v1/links/{remote_cluster_id}", deferred: unlinkOne),
        ]
    }

    private func link(_ ctx: RouteContext, _ done: @escaping RouteCompletion) throws(APIError) {
        let request = try LinkRequest.decode(try ctx.request.jsonBody(), unlink: false)
        try core.state.withLock { s throws(APIError) in
            try s.admit("links")
            try LinkController.checkLinkGate(s.role.gateRole)
        }
        links.link(request) { done(.success(Self.batchResponse($0))) }
    }

    private func unlink(_ ctx: RouteContext, _ done: @escaping RouteCompletion) throws(APIError) {
        let request = try LinkRequest.decode(try ctx.request.jsonBody(), unlink: true)
        links.unlink(request) { done(.success(Self.batchResponse($0))) }
    }

    private func unlinkOne(_ ctx: RouteContext, _ done: @escaping RouteCompletion) throws(APIError) {
        let remote = try Self.clusterID(ctx)
        let (force, timeoutMs) = try Self.unlinkQuery(ctx)
        let request = LinkRequest(
            clusters: [ClusterSpec(remoteClusterID: remote)],
            timeoutMs: timeoutMs,
            force: force
        )
        links.unlink(request) { done(.success(Self.batchResponse($0))) }
    }

    /// `?force=false&timeout_ms=3000` of the DELETE unlink routes.
    static func unlinkQuery(_ ctx: RouteContext) throws(APIError) -> (force: Bool, timeoutMs: Int) {
        let query = ctx.query
        if let unknown = query.keys.first(where: { $0 != "force" && $0 != "timeout_ms" }) {
            throw .paramInvalid("unknown query parameter '\(unknown)' (known: force, timeout_ms)")
        }
        var force = false
        if let f = query["force"] {
            switch f.lowercased() {
            case "true", "1": force = true
            case "false", "0": force = false
            default: throw .typeError("'force' must be true or false, got '\(f)'")
            }
        }
        var timeoutMs = LinkRequest.defaultTimeoutMs
        if let t = query["timeout_ms"] {
            guard let v = Int(t) else { throw .typeError("'timeout_ms' must be an integer, got '\(t)'") }
            guard v > 0, v <= LinkRequest.maxTimeoutMs else {
                throw .paramInvalid("'timeout_ms' must be in 1...\(LinkRequest.maxTimeoutMs), got \(v)")
            }
            timeoutMs = v
        }
        return (force, timeoutMs)
    }

    private func check(_ ctx: RouteContext, _ done: @escaping RouteCompletion) throws(APIError) {
        let remote = try Self.clusterID(ctx)
        try links.check(remote) { result in done(result.map { .json(200, $0) }) }
    }

    /// The `{remote_cluster_id}` of a link route.
    private static func clusterID(_ ctx: RouteContext) throws(APIError) -> UInt64 {
        try ctx.param("remote_cluster_id", as: UInt64.self)
    }

    /// The batch answer: HTTP status follows the overall status; the body carries every result.
    static func batchResponse(_ result: LinkBatchResult) -> HTTPResponse {
        .json(
            result.overall.httpStatus,
            result.json,
            headers: result.overall == .NODE_DRAINING ? ["Retry-After": "1"] : [:]
        )
    }
}
