import DataDistModel

/// `POST /v1/cache/{id}/pull|pull_blocks|push|push_blocks` (CONTRACT §6).
struct TransferRoutes: Sendable {
    let core: NodeCore
    let transfers: TransferController

    var routes: [Route] {
        [
            Route("POST", "/v1/cache/{cache_id}/pull") { ctx, done throws(APIError) in
                try run(ctx, Self.pullCache, done)
            },
            Route("POST", "/v1/cache/{cache_id}/pull_blocks") { ctx, done throws(APIError) in
                try run(ctx, Self.pullBlocks, done)
            },
            Route("POST", "/v1/cache/{cache_id}/push") { ctx, done throws(APIError) in
                try run(ctx, Self.pushCache, done)
            },
            Route("POST", "/v1/cache/{cache_id}/push_blocks") { ctx, done throws(APIError) in
                try run(ctx, Self.pushBlocks, done)
            },
        ]
    }

    typealias Decoded = (TransferOperation, TransferSelector)

    private func run(
        _ ctx: RouteContext,
        _ decode: @escaping Decoder,
        _ done: @escaping RouteCompletion
    ) throws(APIError) {
        let id = try CacheRoutes.cacheID(ctx)
        let body = try ctx.request.jsonBody()
        try start(cacheID: id, body, decode, control: nil) { result in done(result.map { .json(200, $0) }) }
    }

    typealias Decoder = @Sendable (RequestFields) throws(APIError) -> Decoded

    /// Every field any transfer operation takes.
    static let transferFields = PullCacheOptions.fields.union(PullBlocksOptions.fields).union(PushCacheOptions.fields)
        .union(["cache_key", "cache_key_by_id", "src_cache_key", "src_blocks_cache_key", "src_cache_key_by_id"])
        .union(["dst_cache_key_by_id", "dst_blocks_cache_key", "timeout_ms"])

    /// The operations by the names of `POST /v1/transfers` (CONTRACT §11).
    static let operations: [String: Decoder] = [
        "pull": pullCache, "pull_blocks": pullBlocks, "push": pushCache, "push_blocks": pushBlocks,
    ]

    /// Decodes a transfer's fields and starts it: whatever the route rejects without the network throws at once;
    /// `completion` gets the outcome of a transfer that started.
    func start(
        cacheID: Int64,
        _ body: JSONValue,
        _ decode: Decoder,
        control: TransferControl?,
        completion: @escaping @Sendable (Result<JSONValue, APIError>) -> Void
    ) throws(APIError) {
        let f = try RequestFields(body, known: Self.transferFields)
        let (op, selector) = try decode(f)
        let timeoutMs = try f.timeoutMs(default: core.config.syncKVTimeoutMs)
        if op.isPull {
            try transfers.pull(
                into: cacheID,
                op,
                from: selector,
                timeoutMs: timeoutMs,
                control: control,
                completion: completion
            )
        } else {
            try transfers.push(
                from: cacheID,
                op,
                to: selector,
                timeoutMs: timeoutMs,
                control: control,
                completion: completion
            )
        }
    }

    /// Each operation accepts its own fields only (a field of another operation is LLM_PARAM_INVALID).
    private static func only(_ f: RequestFields, _ allowed: Set<String>) throws(APIError) {
        if let extra = f.object.keys.first(where: { !allowed.contains($0) }) {
            throw .paramInvalid("unknown field '\(extra)' (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    static func pullCache(_ f: RequestFields) throws(APIError) -> Decoded {
        try only(f, PullCacheOptions.fields.union(["cache_key", "cache_key_by_id", "timeout_ms"]))
        let selector = try TransferSelector.read(f, names: [("cache_key", .key), ("cache_key_by_id", .byID)])
        return (.pullCache(try PullCacheOptions.read(f)), selector)
    }

    static func pullBlocks(_ f: RequestFields) throws(APIError) -> Decoded {
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

    static func pushCache(_ f: RequestFields) throws(APIError) -> Decoded {
        try only(f, PushCacheOptions.fields.union(["dst_cache_key_by_id", "timeout_ms"]))
        let selector = try TransferSelector.read(f, names: [("dst_cache_key_by_id", .byID)])
        return (.pushCache(try PushCacheOptions.read(f)), selector)
    }

    static func pushBlocks(_ f: RequestFields) throws(APIError) -> Decoded {
        try only(f, PushBlocksOptions.fields.union(["dst_blocks_cache_key", "timeout_ms"]))
        let selector = try TransferSelector.read(f, names: [("dst_blocks_cache_key", .blocks)])
        return (.pushBlocks(try PushBlocksOptions.read(f)), selector)
    }
}
