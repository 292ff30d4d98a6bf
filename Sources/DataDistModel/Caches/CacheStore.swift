/// The per-node state of caches (CONTRACT §6): pools, cache ids, key bindings, reference counts and
/// pins. Pure and single-threaded: the node keeps it behind its state lock.
public struct CacheStore: Sendable {
    /// A bound key's place: which cache, which batch slot.
    struct KeyBinding: Hashable, Sendable {
        var cacheID: Int64
        var slot: Int
    }

    /// The devices this node serves, in configuration order.
    public let devices: [Int]
    public let pageShift: Int
    var devicePools: [PagePool]
    var hostPools: [PagePool]
    /// Visible caches: allocated and not yet freed (including released ones that still have keys).
    var entries: [Int64: CacheEntry] = [:]
    /// Freed caches whose memory is still pinned by transfers; invisible to every lookup.
    var retired: [Int64: CacheEntry] = [:]
    /// Bound request and prefix keys.
    var keyIndex: [KeyIdentity: KeyBinding] = [:]
    /// Blocks caches by their key's model id.
    var blocksIndex: [UInt64: Int64] = [:]
    /// The id the next allocation consumes: starts at 1, only grows.
    public private(set) var nextCacheID: Int64 = 1

    /// One DEVICE and one HOST pool per device id; `devices` must be non-empty and distinct.
    public init(devices: [Int], devicePoolBytes: UInt64, hostPoolBytes: UInt64, pageShift: Int) {
        precondition(!devices.isEmpty && Set(devices).count == devices.count, "device ids must be distinct")
        self.devices = devices
        self.pageShift = pageShift
        devicePools = devices.map { _ in PagePool(capacity: devicePoolBytes, pageShift: pageShift) }
        hostPools = devices.map { _ in PagePool(capacity: hostPoolBytes, pageShift: pageShift) }
    }

    public var pageSize: Int { 1 << pageShift }

    /// The pool of `placement` on `devices[deviceIndex]`.
    public func pool(_ placement: Placement, deviceIndex: Int) -> PagePool {
        placement == .device ? devicePools[deviceIndex] : hostPools[deviceIndex]
    }

    /// Allocates a cache (CONTRACT §6), checking in this order: role gates (§4), keys (blocks flag,
    /// too many, duplicate in the call, already bound, blocks key taken), then consumes a cache id, then
    /// takes memory from every device's pool of the placement (LLM_OUT_OF_MEMORY, nothing kept), then
    /// binds `cacheKeys[i]` to slot i (placeholders skipped).
    public mutating func allocate(
        desc: CacheDesc,
        blocks: Bool,
        cacheKeys: [CacheKey] = [],
        blocksKey: BlocksCacheKey? = nil,
        role: Role?,
        region: RegionPlacement? = nil
    ) throws(APIError) -> CacheInfo {
        if !cacheKeys.isEmpty { try CacheRoleGate.check(.allocateWithCacheKeys, role: role) }
        if blocksKey != nil { try CacheRoleGate.check(.allocateWithBlocksKey, role: role) }
        try checkKeys(desc: desc, blocks: blocks, cacheKeys: cacheKeys, blocksKey: blocksKey)
        let id = nextCacheID
        nextCacheID += 1
        guard let span = devicePools[0].roundedUp(desc.tensorSize),
            case (let total, false) = span.multipliedReportingOverflow(by: desc.numTensors)
        else {
            throw APIError(.LLM_OUT_OF_MEMORY, "cache \(id): \(desc.numTensors) tensors do not fit any pool")
        }
        var extents: [DeviceExtent] = []
        // A region-backed cache's memory is the engine's: nothing is taken from (or later returned to) a pool.
        for index in devices.indices where region == nil {
            guard let extent = takeExtent(desc.placement, deviceIndex: index, bytes: total) else {
                for (i, taken) in extents.enumerated() { giveBack(desc.placement, deviceIndex: i, taken.extent) }
                let p = pool(desc.placement, deviceIndex: index)
                throw APIError(
                    .LLM_OUT_OF_MEMORY,
                    "cache \(id) needs \(total) bytes in the \(desc.placement.rawValue) pool of device "
                        + "\(devices[index]); \(p.free) free, largest free extent \(p.largestFree)"
                )
            }
            extents.append(DeviceExtent(deviceID: devices[index], extent: extent))
        }
        let info = CacheInfo(
            id: id,
            desc: desc,
            kind: blocks ? .blocks : .cache,
            tensorSpan: span,
            extents: extents,
            region: region
        )
        var slotKeys = [CacheKey?](repeating: nil, count: blocks ? 0 : desc.batchSize)
        for (slot, key) in cacheKeys.enumerated() where !key.isPlaceholder {
            slotKeys[slot] = key
            keyIndex[key.identity] = KeyBinding(cacheID: id, slot: slot)
        }
        if let blocksKey { blocksIndex[blocksKey.modelID] = id }
        entries[id] = CacheEntry(info: info, slotKeys: slotKeys, blocksKey: blocksKey)
        return info
    }

    private func checkKeys(
        desc: CacheDesc,
        blocks: Bool,
        cacheKeys: [CacheKey],
        blocksKey: BlocksCacheKey?
    ) throws(APIError) {
        if blocks && !cacheKeys.isEmpty {
            throw .paramInvalid("a blocks cache takes 'blocks_cache_key', not 'cache_keys'")
        }
        if !blocks && blocksKey != nil {
            throw .paramInvalid("'blocks_cache_key' needs 'blocks': true")
        }
        if cacheKeys.count > desc.batchSize {
            throw .paramInvalid("\(cacheKeys.count) cache_keys for a batch size of \(desc.batchSize)")
        }
        var seen = Set<KeyIdentity>()
        for (i, key) in cacheKeys.enumerated() where !key.isPlaceholder {
            if !seen.insert(key.identity).inserted {
                throw .paramInvalid("cache_keys[\(i)] (\(key.identity)) appears twice in the call")
            }
            if let bound = keyIndex[key.identity] {
                throw .paramInvalid("cache_keys[\(i)] (\(key.identity)) is already bound to cache \(bound.cacheID)")
            }
        }
        if let blocksKey, let owner = blocksIndex[blocksKey.modelID] {
            throw .paramInvalid("model_id \(blocksKey.modelID) already has blocks cache \(owner)")
        }
    }

    private mutating func takeExtent(_ placement: Placement, deviceIndex: Int, bytes: Int) -> PoolExtent? {
        placement == .device
            ? devicePools[deviceIndex].allocate(bytes) : hostPools[deviceIndex].allocate(bytes)
    }

    private mutating func giveBack(_ placement: Placement, deviceIndex: Int, _ extent: PoolExtent) {
        if placement == .device {
            devicePools[deviceIndex].free(extent)
        } else {
            hostPools[deviceIndex].free(extent)
        }
    }

    /// Takes a dead entry out of sight; its memory returns now, or at the last unpin.
    mutating func retire(_ id: Int64) {
        guard var entry = entries.removeValue(forKey: id) else { return }
        for slot in entry.slotKeys.indices {
            if let key = entry.slotKeys[slot] { keyIndex[key.identity] = nil }
            entry.slotKeys[slot] = nil
        }
        if let key = entry.blocksKey, blocksIndex[key.modelID] == id { blocksIndex[key.modelID] = nil }
        if entry.pins > 0 {
            retired[id] = entry
        } else {
            releaseMemory(entry.info)
        }
    }

    private mutating func releaseMemory(_ info: CacheInfo) {
        for (i, piece) in info.extents.enumerated() { giveBack(info.desc.placement, deviceIndex: i, piece.extent) }
    }

    /// `DELETE /v1/cache/{id}`: releases the id. A blocks cache is freed at once with its key; a normal
    /// cache is freed when no key remains (until then it stays pullable by its keys). Unknown id: no-op.
    public mutating func deallocate(_ id: Int64) {
        guard var entry = entries[id] else { return }
        entry.released = true
        entries[id] = entry
        if entry.info.kind == .blocks || entry.isDead { retire(id) }
    }

    /// Marks a visible cache as used by an in-flight transfer: its memory is not returned to its pool
    /// before the matching `unpin`, even if the cache is freed meanwhile.
    public mutating func pin(_ id: Int64) throws(APIError) {
        guard entries[id] != nil else { throw Self.notExist("cache \(id) does not exist") }
        entries[id]!.pins += 1
    }

    /// Ends one pin. Returns false (and changes nothing) when `id` holds no pin.
    @discardableResult
    public mutating func unpin(_ id: Int64) -> Bool {
        if let pins = entries[id]?.pins, pins > 0 {
            entries[id]!.pins -= 1
            return true
        }
        guard let entry = retired[id], entry.pins > 0 else { return false }
        if entry.pins == 1 {
            retired[id] = nil
            releaseMemory(entry.info)
        } else {
            retired[id]!.pins -= 1
        }
        return true
    }

    /// Pins held on `id` (visible or retired).
    public func pins(_ id: Int64) -> Int { entries[id]?.pins ?? retired[id]?.pins ?? 0 }

    static func notExist(_ message: String) -> APIError { APIError(.LLM_KV_CACHE_NOT_EXIST, message) }
}
