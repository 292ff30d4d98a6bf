/// The store's record of one cache: its info, its references and its pins.
struct CacheEntry: Sendable {
    var info: CacheInfo
    /// The cache id was released (`deallocate`); the cache lives on while keys remain.
    var released = false
    /// Normal caches: the key bound to each batch slot (nil = none).
    var slotKeys: [CacheKey?]
    /// Blocks caches: their key, if any.
    var blocksKey: BlocksCacheKey?
    /// In-flight transfers using this cache's memory.
    var pins = 0
    /// Progressive caches (CONTRACT §11): tensors `[0, readyTensors[slot])` are written, per batch slot (one
    /// entry for a blocks cache). Nil: always fully ready.
    var readyTensors: [Int]?
    /// Tensors not yet pulled per key, for keys consumed piecewise by layer-range pulls.
    var pendingTensors: [KeyIdentity: [Bool]] = [:]

    init(info: CacheInfo, slotKeys: [CacheKey?], blocksKey: BlocksCacheKey?) {
        self.info = info
        self.slotKeys = slotKeys
        self.blocksKey = blocksKey
    }

    var boundKeyCount: Int { slotKeys.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// A normal cache is freed when its id is released and no key remains.
    var isDead: Bool { released && slotKeys.allSatisfy { $0 == nil } }
}
