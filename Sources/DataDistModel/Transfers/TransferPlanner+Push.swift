extension TransferPlanner {
    /// push_cache checks on the source (local) side: a normal cache, `srcBatchIndex` < slots, `size` -1 or
    /// in (0, stride], tensors a multiple of N (as the library), the source layer range, equal explicit
    /// range lengths.
    public static func checkPushCacheSource(_ src: CacheGeometry, _ o: PushCacheOptions) throws(APIError) {
        try requireKind(src, .cache, "push_cache needs a normal cache as source, not a blocks cache")
        guard o.srcBatchIndex >= 0, o.srcBatchIndex < src.slots else {
            throw .paramInvalid("src_batch_index \(o.srcBatchIndex) is out of range [0, \(src.slots))")
        }
        _ = try transferSize(o.size, whole: src.stride, side: "source")
        try checkSourceLayers(src, o.layers)
    }

    /// push_cache (C2C into slot `dstSlot` of the remote cache): source `[sb*srcStride, +size)`,
    /// destination `[dstSlot*dstStride, +size)`; `size` (default the source stride) must fit the
    /// destination stride.
    public static func pushCache(
        src: CacheGeometry,
        dst: CacheGeometry,
        dstSlot: Int,
        options o: PushCacheOptions
    )
        throws(APIError) -> TransferPlan
    {
        try checkPushCacheSource(src, o)
        try requireKind(dst, .cache, "push_cache destination is a blocks cache; use push_blocks")
        guard dstSlot >= 0, dstSlot < dst.slots else {
            throw .paramInvalid("destination batch_index \(dstSlot) is out of range [0, \(dst.slots))")
        }
        let size = try transferSize(o.size, whole: src.stride, side: "source")
        guard size <= dst.stride else {
            throw .paramInvalid("push size \(size) exceeds the destination stride \(dst.stride)")
        }
        let srcTensors = try o.layers.tensors(o.layers.src, numTensors: src.numTensors, side: "src", wholeLayers: true)
        let dstTensors = try o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst")
        return try plan(
            source: (srcTensors, [ByteRun(offset: o.srcBatchIndex * src.stride, length: size)]),
            destination: (dstTensors, [ByteRun(offset: dstSlot * dst.stride, length: size)])
        )
    }

    /// push_blocks checks on the source side: a blocks cache, non-empty block lists of equal length,
    /// source indices in range, tensors a multiple of N, the source layer range, equal explicit lengths.
    public static func checkPushBlocksSource(_ src: CacheGeometry, _ o: PushBlocksOptions) throws(APIError) {
        try requireKind(src, .blocks, "push_blocks needs a blocks cache as source")
        if o.dstBlocks.isEmpty { throw .paramInvalid("dst_blocks must not be empty") }
        if o.srcBlocks.isEmpty { throw .paramInvalid("src_blocks must not be empty") }
        if o.srcBlocks.count != o.dstBlocks.count {
            throw .paramInvalid("src_blocks has \(o.srcBlocks.count) blocks but dst_blocks \(o.dstBlocks.count)")
        }
        try checkIndices(o.srcBlocks, count: src.slots, name: "src_blocks")
        try checkSourceLayers(src, o.layers)
    }

    /// push_blocks (blocks → blocks): source blocks in order to destination blocks in order, equal sizes.
    public static func pushBlocks(
        src: CacheGeometry,
        dst: CacheGeometry,
        options o: PushBlocksOptions
    )
        throws(APIError) -> TransferPlan
    {
        try checkPushBlocksSource(src, o)
        try requireKind(dst, .blocks, "push_blocks destination is not a blocks cache")
        try checkIndices(o.dstBlocks, count: dst.slots, name: "dst_blocks")
        guard src.stride == dst.stride else {
            throw .paramInvalid("block sizes differ: source \(src.stride), destination \(dst.stride)")
        }
        let srcTensors = try o.layers.tensors(o.layers.src, numTensors: src.numTensors, side: "src", wholeLayers: true)
        let dstTensors = try o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst")
        return try plan(
            source: (srcTensors, blockRuns(o.srcBlocks, stride: src.stride)),
            destination: (dstTensors, blockRuns(o.dstBlocks, stride: dst.stride))
        )
    }

    /// The pusher's layer checks: whole layers (as the library), the source range, equal explicit lengths.
    private static func checkSourceLayers(_ src: CacheGeometry, _ layers: LayerSelection) throws(APIError) {
        _ = try layers.tensors(layers.src, numTensors: src.numTensors, side: "src", wholeLayers: true)
        try layers.checkExplicitCounts()
    }
}
