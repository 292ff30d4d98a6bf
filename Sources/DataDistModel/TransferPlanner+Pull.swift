extension TransferPlanner {
    /// pull_cache checks on the destination (decoder) side: a normal cache, `batchIndex` < slots, `size`
    /// -1 or in (0, stride], the destination layer range, equal explicit range lengths.
    public static func checkPullCacheDestination(_ dst: CacheGeometry, _ o: PullCacheOptions) -> APIError? {
        if let e = requireKind(dst, .cache, "pull_cache needs a normal cache as destination, not a blocks cache") {
            return e
        }
        guard o.batchIndex >= 0, o.batchIndex < dst.slots else {
            return .paramInvalid("batch_index \(o.batchIndex) is out of range [0, \(dst.slots))")
        }
        if case .failure(let e) = transferSize(o.size, whole: dst.stride, side: "destination") { return e }
        if case .failure(let e) = o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst") {
            return e
        }
        return o.layers.checkExplicitCounts()
    }

    /// pull_cache (C2C): source runs `[s*srcStride, +size)`, destination `[b*dstStride, +size)`, for the
    /// selected tensors; `size` (default the destination stride) must not exceed the source stride.
    public static func pullCache(
        dst: CacheGeometry,
        src: CacheGeometry,
        srcSlot: Int,
        options o: PullCacheOptions
    )
        -> Result<TransferPlan, APIError>
    {
        if let e = checkPullCacheDestination(dst, o) { return .failure(e) }
        if let e = requireKind(src, .cache, "pull_cache source is a blocks cache; use pull_blocks") {
            return .failure(e)
        }
        guard srcSlot >= 0, srcSlot < src.slots else {
            return .failure(.paramInvalid("source slot \(srcSlot) is out of range [0, \(src.slots))"))
        }
        let size: Int
        switch transferSize(o.size, whole: dst.stride, side: "destination") {
        case .success(let s): size = s
        case .failure(let e): return .failure(e)
        }
        guard size <= src.stride else {
            return .failure(.paramInvalid("pull size \(size) exceeds the source stride \(src.stride)"))
        }
        return o.layers.tensors(o.layers.src, numTensors: src.numTensors, side: "src").flatMap { srcTensors in
            o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst").flatMap { dstTensors in
                plan(
                    source: (srcTensors, [ByteRun(offset: srcSlot * src.stride, length: size)]),
                    destination: (dstTensors, [ByteRun(offset: o.batchIndex * dst.stride, length: size)])
                )
            }
        }
    }

    /// pull_blocks checks on the destination side: a blocks cache, `dstBlocks` non-empty; by blocks key
    /// `srcBlocks` non-empty and as long as `dstBlocks`, else `srcBlocks` empty; destination indices in
    /// range; the destination layer range; equal explicit range lengths.
    public static func checkPullBlocksDestination(_ dst: CacheGeometry, _ o: PullBlocksOptions) -> APIError? {
        if let e = requireKind(dst, .blocks, "pull_blocks needs a blocks cache as destination") { return e }
        if o.dstBlocks.isEmpty { return .paramInvalid("dst_blocks must not be empty") }
        if o.byBlocksKey {
            if o.srcBlocks.isEmpty { return .paramInvalid("src_blocks must not be empty with a blocks cache key") }
            if o.srcBlocks.count != o.dstBlocks.count {
                return .paramInvalid("src_blocks has \(o.srcBlocks.count) blocks but dst_blocks \(o.dstBlocks.count)")
            }
        } else if !o.srcBlocks.isEmpty {
            return .paramInvalid("src_blocks must be empty when pulling from a cache slot (cache → blocks)")
        }
        if let e = checkIndices(o.dstBlocks, count: dst.slots, name: "dst_blocks") { return e }
        if case .failure(let e) = o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst") {
            return e
        }
        return o.layers.checkExplicitCounts()
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
        -> Result<TransferPlan, APIError>
    {
        if let e = checkPullBlocksDestination(dst, o) { return .failure(e) }
        let srcRuns: [ByteRun]
        if o.byBlocksKey {
            if let e = requireKind(src, .blocks, "the source of a blocks key is not a blocks cache") {
                return .failure(e)
            }
            if let e = checkIndices(o.srcBlocks, count: src.slots, name: "src_blocks") { return .failure(e) }
            guard src.stride == dst.stride else {
                return .failure(.paramInvalid("block sizes differ: source \(src.stride), destination \(dst.stride)"))
            }
            srcRuns = blockRuns(o.srcBlocks, stride: src.stride)
        } else {
            if let e = requireKind(src, .cache, "pulling from a blocks cache into blocks needs src_blocks") {
                return .failure(e)
            }
            guard srcSlot >= 0, srcSlot < src.slots else {
                return .failure(.paramInvalid("source slot \(srcSlot) is out of range [0, \(src.slots))"))
            }
            guard o.dstBlocks.count <= src.stride / dst.stride else {
                return .failure(
                    .paramInvalid(
                        "\(o.dstBlocks.count) blocks of \(dst.stride) bytes exceed the source stride \(src.stride)"
                    )
                )
            }
            srcRuns = [ByteRun(offset: srcSlot * src.stride, length: o.dstBlocks.count * dst.stride)]
        }
        return o.layers.tensors(o.layers.src, numTensors: src.numTensors, side: "src").flatMap { srcTensors in
            o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst").flatMap { dstTensors in
                plan(
                    source: (srcTensors, srcRuns),
                    destination: (dstTensors, blockRuns(o.dstBlocks, stride: dst.stride))
                )
            }
        }
    }
}
