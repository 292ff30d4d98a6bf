import DataDistModel

/// `POST /v1/cache/{id}/pull|pull_blocks|push|push_blocks` (CONTRACT §6).
struct TransferRoutes: Sendable {
    let core: NodeCore
    let transfers: TransferController

    var routes: [Route] {
        [
            Route("POST", "/v1/cache/{cache_id}/pull") { ctx in run(ctx, Self.pullCache) },
            Route("POST", "/v1/cache/{cache_id}/pull_blocks") { ctx in run(ctx, Self.pullBlocks) },
            Route("POST", "/v1/cache/{cache_id}/push") { ctx in run(ctx, Self.pushCache) },
            Route("POST", "/v1/cache/{cache_id}/push_blocks") { ctx in run(ctx, Self.pushBlocks) },
        ]
    }

    private typealias Decoded = (TransferOperation, TransferSelector)

    private func run(_ ctx: RouteContext, _ decode: (RequestFields) throws(APIError) -> Decoded) {
        do {
            let id = try CacheRoutes.cacheID(ctx)
            let body = try ctx.request.jsonBody().get()
            let all = PullCacheOptions.fields.union(PullBlocksOptions.fields).union(PushCacheOptions.fields)
                .union(["cache_key", "cache_key_by_id", "src_cache_key", "src_blocks_cache_key", "src_cache_key_by_id"])
                .union(["dst_cache_key_by_id", "dst_blocks_cache_key", "timeout_ms"])
            let f = try RequestFields(body, known: all)
            let (op, selector) = try decode(f)
            let timeoutMs = try f.timeoutMs(default: core.config.syncKVTimeoutMs)
            let done: @Sendable (Result<JSONValue, APIError>) -> Void = { result in
                switch result {
                case .success(let answer): ctx.respond(200, answer)
                case .failure(let e): ctx.respond(e)
                }
            }
            if op.isPull {
                transfers.pull(into: id, op, from: selector, timeoutMs: timeoutMs, completion: done)
            } else {
                transfers.push(from: id, op, to: selector, timeoutMs: timeoutMs, completion: done)
            }
        } catch {
            ctx.respond(error)
        }
    }

    /// Each operation accepts its own fields only (a field of another operation is LLM_PARAM_INVALID).
    private static func only(_ f: RequestFields, _ allowed: Set<String>) throws(APIError) {
        if let extra = f.object.keys.first(where: { !allowed.contains($0) }) {
            throw .paramInvalid("unknown field '\(extra)' (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    private static func pullCache(_ f: RequestFields) throws(APIError) -> Decoded {
        try only(f, PullCacheOptions.fields.union(["cache_key", "cache_key_by_id", "timeout_ms"]))
        let selector = try TransferSelector.read(f, names: [("cache_key", .key), ("cache_key_by_id", .byID)])
        return (.pullCache(try PullCacheOptions.read(f)), selector)
    }

    private static func pullBlocks(_ f: RequestFields) throws(APIError) -> Decoded {
        try only(
            f,
            PullBlocksOptions.fields.union([
                "src_cache_key", "src_blocks_cache_key", "src_cache_key_by_id", "timeout_ms",
            ])
        )
        let selector = try TransferSelector.read(
            f,
            names: [("src_cache_key", .key), ("src_blocks_cache_key", .blocks), ("src_cache_key_by_id", .byID)]
        )
        let byBlocksKey: Bool
        if case .blocks = selector { byBlocksKey = true } else { byBlocksKey = false }
        return (.pullBlocks(try PullBlocksOptions.read(f, byBlocksKey: byBlocksKey)), selector)
    }

    private static func pushCache(_ f: RequestFields) throws(APIError) -> Decoded {
        try only(f, PushCacheOptions.fields.union(["dst_cache_key_by_id", "timeout_ms"]))
        let selector = try TransferSelector.read(f, names: [("dst_cache_key_by_id", .byID)])
        return (.pushCache(try PushCacheOptions.read(f)), selector)
    }

    private static func pushBlocks(_ f: RequestFields) throws(APIError) -> Decoded {
        try only(f, PushBlocksOptions.fields.union(["dst_blocks_cache_key", "timeout_ms"]))
        let selector = try TransferSelector.read(f, names: [("dst_blocks_cache_key", .blocks)])
        return (.pushBlocks(try PushBlocksOptions.read(f)), selector)
    }
}
