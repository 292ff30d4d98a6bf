/// `pull_cache` parameters besides the source key: destination slot, bytes per tensor, layers.
public struct PullCacheOptions: Hashable, Sendable {
    public var batchIndex: Int
    /// -1 = the whole destination slot, else in (0, dst stride].
    public var size: Int64
    public var layers: LayerSelection

    public init(batchIndex: Int = 0, size: Int64 = -1, layers: LayerSelection = LayerSelection()) {
        self.batchIndex = batchIndex
        self.size = size
        self.layers = layers
    }
}

/// `pull_blocks` parameters: block lists and layers. `byBlocksKey` says the source was named by a
/// `src_blocks_cache_key` (blocks → blocks); otherwise a cache slot is scattered over `dstBlocks` (C2B).
public struct PullBlocksOptions: Hashable, Sendable {
    public var byBlocksKey: Bool
    public var srcBlocks: [Int]
    public var dstBlocks: [Int]
    public var layers: LayerSelection

    public init(byBlocksKey: Bool, srcBlocks: [Int], dstBlocks: [Int], layers: LayerSelection = LayerSelection()) {
        self.byBlocksKey = byBlocksKey
        self.srcBlocks = srcBlocks
        self.dstBlocks = dstBlocks
        self.layers = layers
    }
}

/// `push_cache` parameters: local source slot, bytes per tensor, layers.
public struct PushCacheOptions: Hashable, Sendable {
    public var srcBatchIndex: Int
    /// -1 = the whole source slot, else in (0, src stride].
    public var size: Int64
    public var layers: LayerSelection

    public init(srcBatchIndex: Int = 0, size: Int64 = -1, layers: LayerSelection = LayerSelection()) {
        self.srcBatchIndex = srcBatchIndex
        self.size = size
        self.layers = layers
    }
}

/// `push_blocks` parameters (blocks → blocks).
public struct PushBlocksOptions: Hashable, Sendable {
    public var srcBlocks: [Int]
    public var dstBlocks: [Int]
    public var layers: LayerSelection

    public init(srcBlocks: [Int], dstBlocks: [Int], layers: LayerSelection = LayerSelection()) {
        self.srcBlocks = srcBlocks
        self.dstBlocks = dstBlocks
        self.layers = layers
    }
}

/// `copy_cache` parameters (facts §2.8).
public struct CopyCacheOptions: Hashable, Sendable {
    public var dstBatchIndex: Int
    public var srcBatchIndex: Int
    public var offset: UInt64
    /// -1 = from `offset` to the end of the source slot, else > 0.
    public var size: Int64

    public init(dstBatchIndex: Int = 0, srcBatchIndex: Int = 0, offset: UInt64 = 0, size: Int64 = -1) {
        self.dstBatchIndex = dstBatchIndex
        self.srcBatchIndex = srcBatchIndex
        self.offset = offset
        self.size = size
    }
}
