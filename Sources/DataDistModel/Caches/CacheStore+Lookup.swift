/// A batch slot found to serve a transfer: the cache, the slot, and the key bound to that slot (if any),
/// which a verified pull may then consume.
public struct ResolvedSlot: Sendable, Equatable {
    public let cache: CacheInfo
    public let slot: Int
    public let key: KeyIdentity?

    public init(cache: CacheInfo, slot: Int, key: KeyIdentity?) {
        self.cache = cache
        self.slot = slot
        self.key = key
    }
}

extension CacheStore {
    /// The slot a request or prefix key is bound to (a released cache stays reachable by its keys).
    public func lookup(_ identity: KeyIdentity) throws(APIError) -> ResolvedSlot {
        guard let binding = keyIndex[identity], let entry = entries[binding.cacheID] else {
            throw Self.notExist("no cache is bound to \(identity)")
        }
        return ResolvedSlot(cache: entry.info, slot: binding.slot, key: identity)
    }

    /// Slot `batchIndex` of cache `cacheID` addressed by id: absent or released ids and slots beyond the
    /// cache are LLM_KV_CACHE_NOT_EXIST. Reports the key bound to the slot (informational: by-id pulls consume
    /// nothing, CONTRACT §6).
    public func lookup(cacheID: Int64, batchIndex: Int) throws(APIError) -> ResolvedSlot {
        guard let entry = entries[cacheID], !entry.released else {
            throw Self.notExist("cache \(cacheID) does not exist")
        }
        guard batchIndex >= 0, batchIndex < entry.info.slots else {
            throw Self.notExist(
                "cache \(cacheID) has \(entry.info.slots) slots; batch_index \(batchIndex) does not exist"
            )
        }
        let key = entry.info.kind == .cache ? entry.slotKeys[batchIndex]?.identity : nil
        return ResolvedSlot(cache: entry.info, slot: batchIndex, key: key)
    }

    /// The blocks cache bound to `blocks_cache_key` with this model id.
    public func lookupBlocks(modelID: UInt64) throws(APIError) -> CacheInfo {
        guard let id = blocksIndex[modelID], let entry = entries[id] else {
            throw Self.notExist("no blocks cache is bound to model_id \(modelID)")
        }
        return entry.info
    }

    /// A cache addressed by its local id for local use (pull destination, push source, copies, tensor
    /// reads and writes): absent or released → LLM_KV_CACHE_NOT_EXIST.
    public func localCache(_ id: Int64) throws(APIError) -> CacheInfo {
        guard let entry = entries[id], !entry.released else {
            throw Self.notExist("cache \(id) does not exist")
        }
        return entry.info
    }

    /// A cache whose memory is still valid for an in-flight transfer: visible, or freed but still pinned.
    public func pinnedCache(_ id: Int64) -> CacheInfo? {
        if let e = entries[id] { return e.info }
        if let r = retired[id], r.pins > 0 { return r.info }
        return nil
    }

    /// Any visible cache, released or not (for listings).
    public func cache(_ id: Int64) -> CacheInfo? { entries[id]?.info }

    /// Whether the id was released while keys keep the cache alive.
    public func isReleased(_ id: Int64) -> Bool { entries[id]?.released ?? false }

    /// The key bound to `slot` of cache `id`, if any.
    public func boundKey(cacheID id: Int64, slot: Int) -> CacheKey? {
        guard let keys = entries[id]?.slotKeys, keys.indices.contains(slot) else { return nil }
        return keys[slot]
    }

    /// Number of visible caches.
    public var cacheCount: Int { entries.count }
    /// Number of bound request and prefix keys.
    public var boundKeyCount: Int { keyIndex.count }
    /// Ids of visible caches in increasing order.
    public var cacheIDs: [Int64] { entries.keys.sorted() }
}

extension CacheStore {
    /// `remove_cache_key` (PROMPT and MIX only): unbinds the key and frees its cache if the id was released
    /// and no key remains. An unknown key is a success.
    public mutating func removeKey(_ identity: KeyIdentity, role: Role?) throws(APIError) {
        try CacheRoleGate.check(.removeCacheKey, role: role)
        unbind(identity)
    }

    /// What a verified pull by a request key does on the owner: unbinds the key and frees the cache if it
    /// was released and keyless. Prefix keys are never consumed. With `tensors`, only those tensor indices
    /// count as pulled and the key goes when every tensor has been pulled (layer-range pulls).
    /// Returns true when the key was unbound now. (Block pulls never call this.)
    @discardableResult
    public mutating func consume(_ identity: KeyIdentity, tensors: [Int]? = nil) -> Bool {
        guard !identity.isPrefix, let binding = keyIndex[identity], var entry = entries[binding.cacheID] else {
            return false
        }
        if let tensors {
            var pending = entry.pendingTensors[identity] ?? [Bool](repeating: true, count: entry.info.desc.numTensors)
            for t in tensors where pending.indices.contains(t) { pending[t] = false }
            if pending.contains(true) {
                entry.pendingTensors[identity] = pending
                entries[binding.cacheID] = entry
                return false
            }
        }
        unbind(identity)
        return true
    }

    /// A lease ran out (CONTRACT §11): the key goes as by `remove_cache_key` (whatever the role), a blocks key
    /// leaves its cache (which stays allocated under its id). True when something was bound.
    @discardableResult
    public mutating func expire(_ key: LeasedKey) -> Bool {
        switch key {
        case .key(let identity):
            guard keyIndex[identity] != nil else { return false }
            unbind(identity)
            return true
        case .blocks(let modelID):
            guard let id = blocksIndex.removeValue(forKey: modelID), var entry = entries[id] else { return false }
            entry.blocksKey = nil
            entries[id] = entry
            return true
        }
    }

    /// The keys a cache binds: its request/prefix keys and its blocks key.
    public func leasedKeys(cacheID: Int64) -> [LeasedKey] {
        guard let entry = entries[cacheID] else { return [] }
        var keys = entry.slotKeys.compactMap { $0.map { LeasedKey.key($0.identity) } }
        if let b = entry.blocksKey { keys.append(.blocks(modelID: b.modelID)) }
        return keys
    }

    mutating func unbind(_ identity: KeyIdentity) {
        guard let binding = keyIndex.removeValue(forKey: identity), var entry = entries[binding.cacheID] else { return }
        entry.slotKeys[binding.slot] = nil
        entry.pendingTensors[identity] = nil
        entries[binding.cacheID] = entry
        if entry.isDead { retire(binding.cacheID) }
    }
}

extension CacheStore {
    /// Bytes held by bound request and prefix keys (`num_tensors × stride` each): KV waiting to be pulled.
    public var unpulledBytes: Int {
        keyIndex.values.reduce(0) { total, binding in
            guard let info = entries[binding.cacheID]?.info else { return total }
            return total + info.desc.numTensors * info.stride
        }
    }
}
