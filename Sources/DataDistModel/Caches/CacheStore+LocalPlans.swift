/// A local operation resolved against the store: both caches and the plan between them.
public struct LocalTransfer: Sendable, Equatable {
    public let source: CacheInfo
    public let destination: CacheInfo
    public let plan: TransferPlan
}

extension CacheStore {
    /// copy_cache into `dstID` from `srcID`: unknown (or released) source, then destination →
    /// LLM_KV_CACHE_NOT_EXIST; then `TransferPlanner.copyCache`.
    public func planCopyCache(
        dstID: Int64,
        srcID: Int64,
        options: CopyCacheOptions
    ) throws(APIError)
        -> LocalTransfer
    {
        let src = try localCache(srcID)
        let dst = try localCache(dstID)
        let plan = try TransferPlanner.copyCache(dst: dst.geometry, src: src.geometry, options: options)
        return LocalTransfer(source: src, destination: dst, plan: plan)
    }

    /// copy_blocks within cache `id`.
    public func planCopyBlocks(
        cacheID id: Int64,
        mapping: [(src: Int, dsts: [Int])]
    ) throws(APIError)
        -> LocalTransfer
    {
        let cache = try localCache(id)
        let plan = try TransferPlanner.copyBlocks(cache: cache.geometry, mapping: mapping)
        return LocalTransfer(source: cache, destination: cache, plan: plan)
    }

    /// swap_blocks from `srcID` to `dstID`.
    public func planSwapBlocks(
        srcID: Int64,
        dstID: Int64,
        pairs: [(src: Int, dst: Int)]
    )
        throws(APIError) -> LocalTransfer
    {
        let src = try localCache(srcID)
        let dst = try localCache(dstID)
        let plan = try TransferPlanner.swapBlocks(src: src.geometry, dst: dst.geometry, pairs: pairs)
        return LocalTransfer(source: src, destination: dst, plan: plan)
    }
}
