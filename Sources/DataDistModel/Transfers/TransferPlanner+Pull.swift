extension TransferPlanner {
    /// pull_cache checks on the destination (decoder) side: a normal cache, `batchIndex` < slots, `size`
    /// -1 or in (0, stride], the destination layer range, equal explicit range lengths.
    public static func checkPullCacheDestination(_ dst: CacheGeometry, _ o: PullCacheOptions) throws(APIError) {
        try requireKind(dst, .cache, "pull_cache needs a normal cache as destination, not a blocks cache")
        guard o.batchIndex >= 0, o.batchIndex < dst.slots else {
            throw .paramInvalid("batch_index \(o.batchIndex) is out of range [0, \(dst.slots))")
        }
        _ = try transferSize(o.size, whole: dst.stride, side: "destination")
        _ = try o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst")
        try o.layers.checkExplicitCounts()
    }

    /// pull_cache (C2C): source runs `[s*srcStride, +size)`, destination `[b*dstStride, +size)`, for the
    /// selected tensors; `size` (default the destination stride) must not exceed the source stride.
    public static func pullCache(
        dst: CacheGeometry,
        src: CacheGeometry,
        srcSlot: Int,
        options o: PullCacheOptions
    )
        throws(APIError) -> TransferPlan
    {
        try checkPullCacheDestination(dst, o)
        try requireKind(src, .cache, "pull_cache source is a blocks cache; use pull_blocks")
        guard srcSlot >= 0, srcSlot < src.slots else {
            throw .paramInvalid("source slot \(srcSlot) is out of range [0, \(src.slots))")
        }
        let size = try transferSize(o.size, whole: dst.stride, side: "destination")
        guard size <= src.stride else {
            throw .paramInvalid("pull size \(size) exceeds the source stride \(src.stride)")
        }
        let srcTensors = try o.layers.tensors(o.layers.src, numTensors: src.numTensors, side: "src")
        let dstTensors = try o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst")
        return try plan(
            source: (srcTensors, [ByteRun(offset: srcSlot * src.stride, length: size)]),
            destination: (dstTensors, [ByteRun(offset: o.batchIndex * dst.stride, length: size)])
        )
    }

    /// pull_blocks checks on the destination side: a blocks cache, `dstBlocks` non-empty; by blocks key
    /// `srcBlocks` non-empty and as long as `dstBlocks`, else `srcBlocks` empty; destination indices in
    /// range; the destination layer range; equal explicit range lengths.
    public static func checkPullBlocksDestination(_ dst: CacheGeometry, _ o: PullBlocksOptions) throws(APIError) {
        try requireKind(dst, .blocks, "pull_blocks needs a blocks cache as destination")
        if o.dstBlocks.isEmpty { throw .paramInvalid("dst_blocks must not be empty") }
        if o.byBlocksKey {
            if o.srcBlocks.isEmpty { throw .paramInvalid("src_blocks must not be empty with a blocks cache key") }
            if o.srcBlocks.count != o.dstBlocks.count {
                throw .paramInvalid("src_blocks has \(o.srcBlocks.count) blocks but dst_blocks \(o.dstBlocks.count)")
            }
        } else if !o.srcBlocks.isEmpty {
            throw .paramInvalid("src_blocks must be empty when pulling from a cache slot (cache → blocks)")
        }
        try checkIndices(o.dstBlocks, count: dst.slots, name: "dst_blocks")
        _ = try o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst")
        try o.layers.checkExplicitCounts()
    }

    /// pull_blocks. Blocks → blocks: source blocks in order to destination blocks in order, equal block
    /// sizes. Cache → blocks: source slot `srcSlot` cut into `dstBlocks.count` chunks of the destination
    /// block size, which must fit the source stride.
    public static func pullBlocks(
        dst: CacheGeometry,
        src: CacheGeometry,
        srcSlot: Int,
        options o: PullBlocksOptions
    )
        throws(APIError) -> TransferPlan
    {
        try checkPullBlocksDestination(dst, o)
        let srcRuns: [ByteRun]
        if o.byBlocksKey {
            try requireKind(src, .blocks, "the source of a blocks key is not a blocks cache")
            try checkIndices(o.srcBlocks, count: src.slots, name: "src_blocks")
            guard src.stride == dst.stride else {
                throw .paramInvalid("block sizes differ: source \(src.stride), destination \(dst.stride)")
            }
            srcRuns = blockRuns(o.srcBlocks, stride: src.stride)
        } else {
            try requireKind(src, .cache, "pulling from a blocks cache into blocks needs src_blocks")
            guard srcSlot >= 0, srcSlot < src.slots else {
                throw .paramInvalid("source slot \(srcSlot) is out of range [0, \(src.slots))")
            }
            guard o.dstBlocks.count <= src.stride / dst.stride else {
                throw .paramInvalid(
                    "\(o.dstBlocks.count) blocks of \(dst.stride) bytes exceed the source stride \(src.stride)"
                )
            }
            srcRuns = [ByteRun(offset: srcSlot * src.stride, length: o.dstBlocks.count * dst.stride)]
        }
        let srcTensors = try o.layers.tensors(o.layers.src, numTensors: src.numTensors, side: "src")
        let dstTensors = try o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst")
        return try plan(
            source: (srcTensors, srcRuns),
            destination: (dstTensors, blockRuns(o.dstBlocks, stride: dst.stride))
        )
    }
}
