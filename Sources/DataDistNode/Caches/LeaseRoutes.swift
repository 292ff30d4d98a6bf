import DataDistModel
import HTTPCore

/// `POST /v1/cache/keys/lease` (CONTRACT §11): renews a bound key's lease.
struct LeaseRoutes: Sendable {
    let core: NodeCore

    var routes: [Route] {
        [Route("POST", "/v1/cache/keys/lease", renew)]
    }

    /// `{"cache_key": {…} | "blocks_cache_key": {…}, "extend_ms": M}` → the new `lease_expires_at` (now + M; M
    /// defaults to `--kv-lease-ms`).
    private func renew(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        let f = try RequestFields(
            try ctx.request.jsonBody(),
            known: ["cache_key", "blocks_cache_key", "extend_ms"]
        )
        let key: LeasedKey
        switch (f["cache_key"], f["blocks_cache_key"]) {
        case (let k?, nil): key = .key(try CacheKey.decode(k, field: "cache_key").identity)
        case (nil, let b?):
            key = .blocks(modelID: try BlocksCacheKey.decode(b, field: "blocks_cache_key").modelID)
        default: throw .paramInvalid("give exactly one of 'cache_key' and 'blocks_cache_key'")
        }
        let extendMs = try f.int64("extend_ms", default: Int64(core.config.kvLeaseMs), in: 1...86_400_000)
        guard core.config.kvLeaseMs > 0 else {
            throw APIError(.LLM_FEATURE_NOT_ENABLED, "key leases are off (start the node with --kv-lease-ms)")
        }
        let now = core.clock.nowMs
        let expiry = try core.state.withLock { s throws(APIError) -> JSONValue in
            try PeerTransferService.checkLease(s, key, nowMs: now)
            guard s.leases.renew(key, extendMs: extendMs, nowMs: now) != nil else {
                throw APIError(.LLM_KV_CACHE_NOT_EXIST, "\(key) is not bound on this node")
            }
            return NodeCore.leaseExpiry(s, nowMs: now)(key) ?? .null
        }
        core.armLeaseTimer()
        return .json(200, ["status": "LLM_SUCCESS", "code": 0, "lease_expires_at": expiry])
    }
}
