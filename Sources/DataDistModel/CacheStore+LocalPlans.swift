/// A local operation resolved against the store: both caches and the plan between them.
public struct LocalTransfer: Sendable, Equatable {
    public let source: CacheInfo
    public let destination: CacheInfo
    public let plan: TransferPlan
}

extension CacheStore {
    /// copy_cache into `dstID` from `srcID`: unknown (or released) source, then destination →
    /// LLM_KV_CACHE_NOT_EXIST; then `TransferPlanner.copyCache`.
    public func planCopyCache(dstID: Int64, srcID: Int64, options: CopyCacheOptions) -> Result<LocalTransfer, APIError>
    {
        localCache(srcID).flatMap { src in
            localCache(dstID).flatMap { dst in
                TransferPlanner.copyCache(dst: dst.geometry, src: src.geometry, options: options).map {
                    LocalTransfer(source: src, destination: dst, plan: $0)
                }
            }
        }
    }

    /// copy_blocks within cache `id`.
    public func planCopyBlocks(cacheID id: Int64, mapping: [(src: Int, dsts: [Int])]) -> Result<LocalTransfer, APIError>
    {
        localCache(id).flatMap { cache in
            TransferPlanner.copyBlocks(cache: cache.geometry, mapping: mapping).map {
                LocalTransfer(source: cache, destination: cache, plan: $0)
            }
        }
    }

    /// swap_blocks from `srcID` to `dstID`.
    public func planSwapBlocks(
        srcID: Int64,
        dstID: Int64,
        pairs: [(src: Int, dst: Int)]
    )
        -> Result<LocalTransfer, APIError>
    {
        localCache(srcID).flatMap { src in
            localCache(dstID).flatMap { dst in
                TransferPlanner.swapBlocks(src: src.geometry, dst: dst.geometry, pairs: pairs).map {
                    LocalTransfer(source: src, destination: dst, plan: $0)
                }
            }
        }
    }
}
