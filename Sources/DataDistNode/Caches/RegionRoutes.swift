import DataDistModel
import HTTPCore

/// `/v1/regions` (CONTRACT §10): an engine lends the node memory of its own shared-memory file in
/// `--shm-dir`; caches placed in a region (`POST /v1/cache` with `"region"`) use that memory in place.
struct RegionRoutes: Sendable {
    let core: NodeCore

    var routes: [Route] {
        [
            Route("POST", "/v1/regions", register),
            Route("GET", "/v1/regions") { _ in .json(200, core.state.withLock { $0.regions.json }) },
            Route("GET", "/v1/regions/{region_id}") { ctx throws(APIError) in
                let id = try Self.regionID(ctx)
                guard let region = core.state.withLock({ $0.regions[id] }) else { throw Self.unknown(id) }
                return .json(200, region.json)
            },
            Route("DELETE", "/v1/regions/{region_id}") { ctx throws(APIError) in
                let id = try Self.regionID(ctx)
                try core.state.withLock { s throws(APIError) in
                    guard s.regions[id] != nil else { throw Self.unknown(id) }
                    let users = s.caches.cacheIDs(usingRegion: id)
                    guard users.isEmpty else {
                        throw APIError(
                            .IN_USE,
                            "region \(id) backs caches \(users.map(String.init).joined(separator: ", ")); "
                                + "deallocate them first"
                        )
                    }
                    s.regions.remove(id)
                    core.memory.regions.remove(id)
                }
                return .json(200, ["status": "LLM_SUCCESS", "code": 0])
            },
        ]
    }

    /// The `{region_id}` of a region route.
    static func regionID(_ ctx: RouteContext) throws(APIError) -> Int64 { try ctx.param("region_id", as: Int64.self) }

    static func unknown(_ id: Int64) -> APIError { APIError(.NOT_FOUND, "region \(id) is not registered") }

    static func notEnabled() -> APIError {
        APIError(.LLM_FEATURE_NOT_ENABLED, "registered memory needs the node to run with --shm-dir")
    }

    private func register(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        guard let shmDir = core.memory.shmDir else { throw Self.notEnabled() }
        let f = try RequestFields(try ctx.request.jsonBody(), known: ["path", "offset", "size"])
        guard case .string(let path)? = f["path"] else { throw .typeError("'path' is required (a string)") }
        let offset = try f.int64("offset", default: 0, in: 0...Int64.max)
        let size = try f.requiredInt64("size")
        guard size > 0 else { throw .paramInvalid("'size' must be > 0, got \(size)") }
        // An absolute path may use the directory as configured or as resolved (links in it followed).
        let components: [String]
        do {
            components = try RegionPath.components(path, shmDir: shmDir)
        } catch {
            guard let given = core.config.shmDir, given != shmDir, path.hasPrefix("/") else { throw error }
            components = try RegionPath.components(
                path,
                shmDir: given.hasSuffix("/") ? String(given.dropLast()) : given
            )
        }
        let mapping = try RegionMapping.open(
            components: components,
            shmDir: shmDir,
            offset: Int(offset),
            size: Int(size)
        )
        let region = core.state.withLock { s in
            let region = s.regions.add(
                path: ([shmDir] + components).joined(separator: "/"),
                offset: Int(offset),
                size: Int(size)
            )
            core.memory.regions.insert(region.id, mapping)
            return region
        }
        core.logger.info("registered region", metadata: ["region_id": "\(region.id)", "path": "\(region.path)"])
        return .json(201, region.json)
    }
}

extension PoolMemorySet {
    /// A cache's `"memory"` (CONTRACT §10): the file its tensors are in (nil for anonymous pool memory) and
    /// each tensor's offset in that file and size. With several devices this is device index 0's copy.
    func memoryJSON(_ cache: CacheInfo, regions: RegionTable) -> JSONValue {
        let path: String?
        let base: Int
        if let placement = cache.region {
            let region = regions[placement.regionID]
            path = region?.path
            base = region?.offset ?? 0
        } else {
            path = shmPath(cache.desc.placement, deviceIndex: 0)
            base = 0
        }
        let size = JSONValue(cache.tensorSize)
        return [
            "shm_path": path.map { .string($0) } ?? .null,
            "tensors": .array(
                (0..<cache.desc.numTensors).map { t in
                    ["offset": JSONValue(base + cache.tensorOffset(t, deviceIndex: 0)), "size": size]
                }
            ),
        ]
    }

    /// A pool's usage with its `shm_path` (for `/v1/node`).
    func poolJSON(_ usage: PoolUsage, deviceIDs: [Int]) -> JSONValue {
        guard case .object(var o) = usage.json else { return usage.json }
        let path = deviceIDs.firstIndex(of: usage.deviceID).flatMap { shmPath(usage.placement, deviceIndex: $0) }
        o["shm_path"] = path.map { .string($0) } ?? .null
        return .object(o)
    }
}

/// `"region": {"region_id", "tensor_offsets"}` of `POST /v1/cache`.
struct RegionRequest: Sendable {
    let regionID: Int64
    let tensorOffsets: [Int64]

    static func decode(_ value: JSONValue) throws(APIError) -> RegionRequest {
        let f = try RequestFields(value, known: ["region_id", "tensor_offsets"])
        let id = try f.requiredInt64("region_id")
        guard case .array(let items)? = f["tensor_offsets"] else {
            throw .typeError("'region.tensor_offsets' is required (an array of integers, one per tensor)")
        }
        var offsets: [Int64] = []
        for item in items {
            offsets.append(try JSONInteger.int64(item, field: "region.tensor_offsets", in: 0...Int64.max))
        }
        return RegionRequest(regionID: id, tensorOffsets: offsets)
    }

    /// The checked placement, under the state lock (the region cannot go away before the cache exists).
    func placement(in s: NodeState, desc: CacheDesc, core: NodeCore) throws(APIError) -> RegionPlacement {
        guard core.memory.shmDir != nil else { throw RegionRoutes.notEnabled() }
        guard core.config.deviceIDs.count == 1 else {
            throw .paramInvalid("a region-backed cache needs a single-device node (this one serves several)")
        }
        return try s.regions.placement(regionID: regionID, tensorOffsets: tensorOffsets, desc: desc)
    }
}
