import DataDistModel
import Dispatch
import HTTPCore

/// `/v1/cache` local operations (CONTRACT §6): allocate, list, get, deallocate, remove key, tensor
/// read/write, copy, copy_blocks, swap_blocks. Transfers between nodes are in `TransferRoutes`.
struct CacheRoutes: Sendable {
    let core: NodeCore

    var routes: [Route] {
        [
            Route("POST", "/v1/cache", allocate),
            Route("GET", "/v1/cache") { _ in
                let now = core.clock.nowMs
                return .json(
                    200,
                    core.state.withLock { s in
                        s.caches.json(lease: NodeCore.leaseExpiry(s, nowMs: now), memory: memoryJSON(s))
                    }
                )
            },
            Route("GET", "/v1/cache/{cache_id}") { ctx throws(APIError) in
                let id = try Self.cacheID(ctx)
                let now = core.clock.nowMs
                let body = core.state.withLock { s in
                    s.caches.json(cacheID: id, lease: NodeCore.leaseExpiry(s, nowMs: now), memory: memoryJSON(s))
                }
                guard let body else {
                    throw APIError(.LLM_KV_CACHE_NOT_EXIST, "cache \(id) does not exist")
                }
                return .json(200, body)
            },
            Route("DELETE", "/v1/cache/{cache_id}") { ctx throws(APIError) in
                let id = try Self.cacheID(ctx)
                let existed = core.state.withLock { s in
                    let visible = s.caches.json(cacheID: id) != nil
                    let keys = s.caches.leasedKeys(cacheID: id)
                    s.caches.deallocate(id)
                    // A blocks cache goes with its key; a normal cache keeps its keys (and their leases).
                    let kept = Set(s.caches.leasedKeys(cacheID: id))
                    for key in keys where !kept.contains(key) { s.leases.release(key) }
                    return visible
                }
                if existed { core.emit("cache_freed", [(key: "cache_id", value: JSONValue(id))]) }
                return .json(200, Self.success)
            },
            Route("DELETE", "/v1/cache/keys") { ctx throws(APIError) in
                let identity = try KeyIdentity.parseQuery(
                    HTTPQuery.parse(ctx.request.head.query).map { (name: $0.0, value: $0.1) }
                )
                try core.state.withLock { s throws(APIError) in
                    try s.caches.removeKey(identity, role: s.role.gateRole)
                    s.leases.release(.key(identity))
                }
                return .json(200, Self.success)
            },
            Route("POST", "/v1/cache/{cache_id}/ready", markReady),
            Route("GET", "/v1/cache/{cache_id}/tensors/{tensor}", readTensor),
            Route(
                "PUT",
                "/v1/cache/{cache_id}/tensors/{tensor}",
                streamed: StreamedBody(
                    limit: { core.memory.largestPool },
                    check: { head, params throws(APIError) in try checkTensorWrite(head, params: params) },
                    sink: { head, params in tensorWriteSink(head, params: params) }
                ),
                finishTensorWrite
            ),
            Route("POST", "/v1/cache/{cache_id}/copy") { ctx, done throws(APIError) in try copy(ctx, .cache, done) },
            Route("POST", "/v1/cache/{cache_id}/copy_blocks") { ctx, done throws(APIError) in
                try copy(ctx, .blocks, done)
            },
            Route("POST", "/v1/cache/swap_blocks") { ctx, done throws(APIError) in try copy(ctx, .swap, done) },
        ]
    }

    static let success: JSONValue = ["status": "LLM_SUCCESS", "code": 0]

    /// The `"memory"` of each cache, seen through the state `s` (CONTRACT §10).
    func memoryJSON(_ s: NodeState) -> (CacheInfo) -> JSONValue {
        { [memory = core.memory, regions = s.regions] info in memory.memoryJSON(info, regions: regions) }
    }

    /// The `{cache_id}` of a cache route.
    static func cacheID(_ ctx: RouteContext) throws(APIError) -> Int64 { try ctx.param("cache_id", as: Int64.self) }

    // MARK: readiness

    /// `POST /v1/cache/{id}/ready {"batch_index", "layers", "tensor_num_per_layer"}` (CONTRACT §11): layers
    /// `[0, layers)` of the slot are written; pulls waiting on them go on.
    private func markReady(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        let id = try Self.cacheID(ctx)
        let f = try RequestFields(
            try ctx.request.jsonBody(),
            known: ["batch_index", "layers", "tensor_num_per_layer"]
        )
        guard f["layers"] != nil else { throw .typeError("'layers' is required (an integer)") }
        let layers = try f.int("layers", default: 0)
        let perLayer = try f.int("tensor_num_per_layer", default: 2)
        let batchIndex = try f["batch_index"].map { _ throws(APIError) in try f.int("batch_index", default: 0) }
        let ready = try core.state.withLock { s throws(APIError) in
            try s.caches.markReady(id, batchIndex: batchIndex, layers: layers, tensorNumPerLayer: perLayer)
        }
        core.progressiveSources.wake(cacheID: id)
        return .json(200, ["status": "LLM_SUCCESS", "code": 0, "ready_layers": JSONValue(ready / max(1, perLayer))])
    }

    // MARK: allocate

    private func allocate(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        let body = try ctx.request.jsonBody()
        let f = try RequestFields(
            body,
            known: ["cache_desc", "cache_keys", "blocks", "blocks_cache_key", "progressive", "region"]
        )
        guard let descValue = f["cache_desc"] else { throw .typeError("'cache_desc' is required (an object)") }
        let desc = try CacheDesc.decode(descValue)
        let blocks = try f.bool("blocks", default: false)
        let progressive = try f.bool("progressive", default: false)
        var keys: [CacheKey] = []
        if let v = f["cache_keys"] {
            guard case .array(let items) = v else { throw .typeError("'cache_keys' must be an array of cache keys") }
            for (i, item) in items.enumerated() {
                keys.append(try CacheKey.decode(item, field: "cache_keys[\(i)]"))
            }
        }
        let blocksKey = try f["blocks_cache_key"].map { v throws(APIError) in
            try BlocksCacheKey.decode(v, field: "blocks_cache_key")
        }
        let now = core.clock.nowMs
        let region = try f["region"].map { v throws(APIError) in try RegionRequest.decode(v) }
        let (info, memory) = try core.state.withLock { s throws(APIError) in
            if !keys.isEmpty || blocksKey != nil { try s.admit("key bindings") }
            let placement = try region.map { r throws(APIError) in try r.placement(in: s, desc: desc, core: core) }
            let info = try s.caches.allocate(
                desc: desc,
                blocks: blocks,
                cacheKeys: keys,
                blocksKey: blocksKey,
                role: s.role.gateRole,
                region: placement
            )
            if progressive { s.caches.makeProgressive(info.id) }
            NodeCore.grantLeases(&s, cacheID: info.id, nowMs: now)
            return (info, core.memory.memoryJSON(info, regions: s.regions))
        }
        core.armLeaseTimer()
        core.logger.debug("allocated cache", metadata: ["cache_id": "\(info.id)", "bytes": "\(info.tensorSize)"])
        core.emit(
            "cache_allocated",
            [(key: "cache_id", value: JSONValue(info.id)), (key: "kind", value: .string(info.kind.rawValue))]
        )
        var answer: JSONObject = [
            "cache_id": JSONValue(info.id), "tensor_size": JSONValue(Int64(info.tensorSize)),
        ]
        answer[info.kind == .blocks ? "num_blocks" : "batch_size"] = JSONValue(Int64(info.slots))
        answer["stride"] = JSONValue(Int64(info.stride))
        answer["memory"] = memory
        return .json(201, .object(answer))
    }

    // MARK: tensors

    /// Resolves and pins the bytes a tensor route addresses. The caller owns one pin on success.
    func pinTensorRange(
        _ head: HTTPRequestHead,
        params: [String: String]
    ) throws(APIError)
        -> (CacheInfo, TensorRange, UnsafeMutableRawBufferPointer)
    {
        let id = try RouteContext.parameter("cache_id", params["cache_id"] ?? "", as: Int64.self)
        var query: [String: String] = [:]
        for (k, v) in HTTPQuery.parse(head.query) { query[k] = v }
        let devices = core.config.deviceIDs
        let (cache, range) = try core.state.withLock { s throws(APIError) in
            let cache = try s.caches.localCache(id)
            let range = try TensorRange.parse(
                tensorText: params["tensor"] ?? "",
                query: query,
                cache: cache,
                devices: devices
            )
            try s.caches.pin(id)
            return (cache, range)
        }
        let tensor = core.memory.tensor(cache, range.tensor, device: range.deviceIndex)
        return (
            cache, range, UnsafeMutableRawBufferPointer(rebasing: tensor[range.offset..<(range.offset + range.length)])
        )
    }

    func unpin(_ id: Int64) { core.state.withLock { _ = $0.caches.unpin(id) } }

    private func readTensor(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        let (cache, _, bytes) = try pinTensorRange(ctx.request.head, params: ctx.params)
        let producer = PinnedRegionProducer(regions: [UnsafeRawBufferPointer(bytes)]) { unpin(cache.id) }
        var response = HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"])
        response.producer = producer
        return response
    }

    /// For `preflight`: a tensor write's target must exist and its Content-Length must equal the range.
    func checkTensorWrite(_ head: HTTPRequestHead, params: [String: String]) throws(APIError) {
        guard case .contentLength(let length) = head.framing else {
            throw APIError(.LENGTH_REQUIRED, "a tensor write needs a Content-Length")
        }
        let (cache, range, _) = try pinTensorRange(head, params: params)
        unpin(cache.id)
        guard length == range.length else {
            throw .paramInvalid("the body has \(length) bytes but the range addressed has \(range.length)")
        }
    }

    /// For `bodySink`: the pinned destination of a tensor write.
    func tensorWriteSink(_ head: HTTPRequestHead, params: [String: String]) -> PinnedRegionSink? {
        guard let (cache, _, bytes) = try? pinTensorRange(head, params: params) else { return nil }
        return PinnedRegionSink(region: bytes) { unpin(cache.id) }
    }

    private func finishTensorWrite(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        guard let sink = ctx.request.sink as? PinnedRegionSink else {
            // No sink: the target vanished between preflight and body (or an empty body).
            let (cache, range, bytes) = try pinTensorRange(ctx.request.head, params: ctx.params)
            defer { unpin(cache.id) }
            guard ctx.request.body.count == range.length else {
                throw .paramInvalid(
                    "the body has \(ctx.request.body.count) bytes but the range addressed has \(range.length)"
                )
            }
            ctx.request.body.withUnsafeBytes {
                if let b = $0.baseAddress { bytes.baseAddress?.copyMemory(from: b, byteCount: $0.count) }
            }
            return .json(200, ["status": "LLM_SUCCESS", "code": 0, "bytes": JSONValue(Int64(range.length))])
        }
        let received = sink.received
        sink.close()
        return .json(200, ["status": "LLM_SUCCESS", "code": 0, "bytes": JSONValue(Int64(received))])
    }

    // MARK: local copies

    private enum CopyKind { case cache, blocks, swap }

    private func copy(_ ctx: RouteContext, _ kind: CopyKind, _ done: @escaping RouteCompletion) throws(APIError) {
        let local = try { () throws(APIError) -> LocalTransfer in
            let body = try ctx.request.jsonBody()
            switch kind {
            case .cache:
                let f = try RequestFields(
                    body,
                    known: ["src_cache_id", "dst_batch_index", "src_batch_index", "offset", "size", "req_id"]
                )
                let options = CopyCacheOptions(
                    dstBatchIndex: try f.int("dst_batch_index", default: 0),
                    srcBatchIndex: try f.int("src_batch_index", default: 0),
                    offset: UInt64(try f.int64("offset", default: 0, in: 0...Int64.max)),
                    size: try f.int64("size", default: -1)
                )
                let src = try f.requiredInt64("src_cache_id")
                let dst = try Self.cacheID(ctx)
                return try pinBoth { s throws(APIError) in
                    try s.caches.planCopyCache(dstID: dst, srcID: src, options: options)
                }
            case .blocks:
                let f = try RequestFields(body, known: ["mapping"])
                guard let m = f["mapping"] else {
                    throw .typeError("'mapping' is required (an object of block → [blocks])")
                }
                let mapping = try BlockMapping.decodeOneToMany(m, field: "mapping")
                let id = try Self.cacheID(ctx)
                return try pinBoth { s throws(APIError) in
                    try s.caches.planCopyBlocks(cacheID: id, mapping: mapping)
                }
            case .swap:
                let f = try RequestFields(body, known: ["src_cache_id", "dst_cache_id", "src_to_dst"])
                let src = try f.requiredInt64("src_cache_id")
                let dst = try f.requiredInt64("dst_cache_id")
                guard let m = f["src_to_dst"] else {
                    throw .typeError("'src_to_dst' is required (an object of block → block)")
                }
                let pairs = try BlockMapping.decodeOneToOne(m, field: "src_to_dst")
                return try pinBoth { s throws(APIError) in
                    try s.caches.planSwapBlocks(srcID: src, dstID: dst, pairs: pairs)
                }
            }
        }()
        let memory = core.memory
        // Memory-bound work of any size: off the event loop.
        DispatchQueue.global().async {
            RegionCopy.copy(
                from: memory.regions(local.source, local.plan.source),
                to: memory.regions(local.destination, local.plan.destination)
            )
            unpin(local.source.id)
            unpin(local.destination.id)
            done(
                .success(
                    .json(
                        200,
                        [
                            "status": "LLM_SUCCESS", "code": 0,
                            "bytes": JSONValue(Int64(local.plan.totalBytes * memory.deviceCount)),
                        ]
                    )
                )
            )
        }
    }

    /// Plans under the lock and pins both caches of the plan.
    private func pinBoth(_ plan: (inout NodeState) throws(APIError) -> LocalTransfer) throws(APIError) -> LocalTransfer
    {
        try core.state.withLock { s throws(APIError) in
            let local = try plan(&s)
            try s.caches.pin(local.source.id)
            try s.caches.pin(local.destination.id)
            return local
        }
    }
}
