import DataDistModel
import HTTPCore

/// `/v1/links` (CONTRACT §5): link, unlink, list, check.
struct LinkRoutes: Sendable {
    let core: NodeCore
    let links: LinkController

    var routes: [Route] {
        [
            Route("POST", "/v1/links") { ctx in link(ctx) },
            Route("POST", "/v1/links/unlink") { ctx in unlink(ctx) },
            Route("GET", "/v1/links") { ctx in ctx.respond(200, core.state.withLock { LinkListing.list($0.links) }) },
            Route("GET", "/v1/links/{remote_cluster_id}") { ctx in check(ctx) },
            Route("DELETE", "/v1/links/{remote_cluster_id}") { ctx in unlinkOne(ctx) },
        ]
    }

    private func link(_ ctx: RouteContext) {
        let decoded = ctx.request.jsonBody().flatMap { LinkRequest.decode($0, unlink: false) }
        guard case .success(let request) = decoded else {
            if case .failure(let e) = decoded { ctx.respond(e) }
            return
        }
        let refusal: APIError? = core.state.withLock { s in
            do throws(APIError) {
                try s.admit("links")
            } catch {
                return error
            }
            return LinkController.linkGate(s.role.gateRole)
        }
        if let refusal {
            ctx.respond(refusal)
            return
        }
        links.link(request) { ctx.respond(Self.batchResponse($0)) }
    }

    private func unlink(_ ctx: RouteContext) {
        switch ctx.request.jsonBody().flatMap({ LinkRequest.decode($0, unlink: true) }) {
        case .failure(let e): ctx.respond(e)
        case .success(let request): links.unlink(request) { ctx.respond(Self.batchResponse($0)) }
        }
    }

    private func unlinkOne(_ ctx: RouteContext) {
        let remote: UInt64
        switch Self.clusterID(ctx) {
        case .failure(let e): return ctx.respond(e)
        case .success(let id): remote = id
        }
        switch Self.unlinkQuery(ctx) {
        case .failure(let e): ctx.respond(e)
        case .success(let (force, timeoutMs)):
            let request = LinkRequest(
                clusters: [ClusterSpec(remoteClusterID: remote)],
                timeoutMs: timeoutMs,
                force: force
            )
            links.unlink(request) { ctx.respond(Self.batchResponse($0)) }
        }
    }

    /// `?force=false&timeout_ms=3000` of the DELETE unlink routes.
    static func unlinkQuery(_ ctx: RouteContext) -> Result<(force: Bool, timeoutMs: Int), APIError> {
        let query = ctx.query
        if let unknown = query.keys.first(where: { $0 != "force" && $0 != "timeout_ms" }) {
            return .failure(.paramInvalid("unknown query parameter '\(unknown)' (known: force, timeout_ms)"))
        }
        var force = false
        if let f = query["force"] {
            switch f.lowercased() {
            case "true", "1": force = true
            case "false", "0": force = false
            default: return .failure(.typeError("'force' must be true or false, got '\(f)'"))
            }
        }
        var timeoutMs = LinkRequest.defaultTimeoutMs
        if let t = query["timeout_ms"] {
            guard let v = Int(t) else { return .failure(.typeError("'timeout_ms' must be an integer, got '\(t)'")) }
            guard v > 0, v <= LinkRequest.maxTimeoutMs else {
                return .failure(.paramInvalid("'timeout_ms' must be in 1...\(LinkRequest.maxTimeoutMs), got \(v)"))
            }
            timeoutMs = v
        }
        return .success((force, timeoutMs))
    }

    private func check(_ ctx: RouteContext) {
        switch Self.clusterID(ctx) {
        case .failure(let e): ctx.respond(e)
        case .success(let remote):
            links.check(remote) { result in
                switch result {
                case .success(let body): ctx.respond(200, body)
                case .failure(let e): ctx.respond(e)
                }
            }
        }
    }

    private static func clusterID(_ ctx: RouteContext) -> Result<UInt64, APIError> {
        let text = ctx.params["remote_cluster_id"] ?? ""
        guard let id = UInt64(text) else {
            return .failure(.typeError("'\(text)' is not a cluster id (an integer in 0...18446744073709551615)"))
        }
        return .success(id)
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
