import DataDistModel
import HTTPCore

/// What an orchestrator uses besides `/v1/role` (CONTRACT §12): the event stream, the load signals, and
/// unlinking every link at once.
struct OrchestrationRoutes: Sendable {
    let core: NodeCore
    let links: LinkController

    var routes: [Route] {
        [
            Route("GET", "/v1/events", events),
            Route("GET", "/v1/node/load") { _ in
                let waiting = core.progressiveSources.waiting
                return .json(200, core.state.withLock { Self.load($0, waiting: waiting) })
            },
            Route("DELETE", "/v1/links", deferred: unlinkAll),
        ]
    }

    // MARK: events

    private func events(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        let query = ctx.query
        if let unknown = query.keys.first(where: { $0 != "since" }) {
            throw .paramInvalid("unknown query parameter '\(unknown)' (known: since)")
        }
        var since: UInt64?
        for (name, text) in [("since", query["since"]), ("Last-Event-ID", ctx.request.headers["Last-Event-ID"])] {
            guard let text else { continue }
            let trimmed = text.trimmingSpaces
            if trimmed.isEmpty && name == "Last-Event-ID" { continue }  // an EventSource's first connect
            guard let value = UInt64(trimmed) else {
                throw .typeError("'\(name)' must be an event sequence number, got '\(text)'")
            }
            since = since.map { max($0, value) } ?? value
        }
        let stream = EventStreamProducer(core: core, since: since)
        guard core.eventStreams.admit(stream, limit: core.config.maxEventStreams) else {
            stream.finish(completed: false)
            return .error(
                APIError(
                    .SERVICE_UNAVAILABLE,
                    "\(core.config.maxEventStreams) event streams are open (--max-event-streams); retry later"
                ),
                headers: ["Retry-After": "5"]
            )
        }
        return HTTPResponse(
            status: 200,
            headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"],
            producer: stream
        )
    }

    // MARK: load

    /// `GET /v1/node/load`: what a planner scales on.
    static func load(_ s: NodeState, waiting: Int) -> JSONValue {
        [
            "transfers_in_flight": JSONValue(s.transfersInFlight),
            // Pulls this node serves that wait for layers of a progressive cache (CONTRACT §11).
            "transfers_waiting": JSONValue(waiting),
            "unpulled_keys": JSONValue(s.caches.boundKeyCount),
            "unpulled_bytes": JSONValue(s.caches.unpulledBytes),
            "pools": .array(
                s.caches.poolUsage.map { p in
                    [
                        "placement": .string(p.placement.rawValue), "device_id": JSONValue(p.deviceID),
                        "utilization": .double(p.utilization),
                    ]
                }
            ),
            "links": JSONValue(s.links.links.count),
            "draining": .bool(s.draining),
        ]
    }

    // MARK: unlink all

    /// `DELETE /v1/links?force=false&timeout_ms=3000`: the batch answer of §5 for every link held now.
    private func unlinkAll(_ ctx: RouteContext, _ done: @escaping RouteCompletion) throws(APIError) {
        let options = try LinkRoutes.unlinkQuery(ctx)
        let ids = core.state.withLock { $0.links.links.keys.sorted() }
        let request = LinkRequest(
            clusters: ids.map { ClusterSpec(remoteClusterID: $0) },
            timeoutMs: options.timeoutMs,
            force: options.force
        )
        if ids.isEmpty { return done(.success(LinkRoutes.batchResponse(LinkBatchResult(entries: [])))) }
        links.unlink(request) { done(.success(LinkRoutes.batchResponse($0))) }
    }
}

extension PoolUsage {
    /// used ÷ capacity, in [0, 1].
    var utilization: Double { capacity == 0 ? 0 : Double(used) / Double(capacity) }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
