extension TransferPlanner {
    /// push_cache checks on the source (local) side: a normal cache, `srcBatchIndex` < slots, `size` -1 or
    /// in (0, stride], tensors a multiple of N (as the library), the source layer range, equal explicit
    /// range lengths.
    public static func checkPushCacheSource(_ src: CacheGeometry, _ o: PushCacheOptions) -> APIError? {
        if let e = requireKind(src, .cache, "push_cache needs a normal cache as source, not a blocks cache") {
            return e
        }
        guard o.srcBatchIndex >= 0, o.srcBatchIndex < src.slots else {
            return .paramInvalid("src_batch_index \(o.srcBatchIndex) is out of range [0, \(src.slots))")
        }
        if case .failure(let e) = transferSize(o.size, whole: src.stride, side: "source") { return e }
        return checkSourceLayers(src, o.layers)
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
        -> Result<TransferPlan, APIError>
    {
        if let e = checkPushCacheSource(src, o) { return .failure(e) }
        if let e = requireKind(dst, .cache, "push_cache destination is a blocks cache; use push_blocks") {
            return .failure(e)
        }
        guard dstSlot >= 0, dstSlot < dst.slots else {
            return .failure(.paramInvalid("destination batch_index \(dstSlot) is out of range [0, \(dst.slots))"))
        }
        let size: Int
        switch transferSize(o.size, whole: src.stride, side: "source") {
        case .success(let s): size = s
        case .failure(let e): return .failure(e)
        }
        guard size <= dst.stride else {
            return .failure(.paramInvalid("push size \(size) exceeds the destination stride \(dst.stride)"))
        }
        return o.layers.tensors(o.layers.src, numTensors: src.numTensors, side: "src", wholeLayers: true).flatMap {
            srcTensors in
            o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst").flatMap { dstTensors in
                plan(
                    source: (srcTensors, [ByteRun(offset: o.srcBatchIndex * src.stride, length: size)]),
                    destination: (dstTensors, [ByteRun(offset: dstSlot * dst.stride, length: size)])
                )
            }
        }
    }

    /// push_blocks checks on the source side: a blocks cache, non-empty block lists of equal length,
    /// source indices in range, tensors a multiple of N, the source layer range, equal explicit lengths.
    public static func checkPushBlocksSource(_ src: CacheGeometry, _ o: PushBlocksOptions) -> APIError? {
        if let e = requireKind(src, .blocks, "push_blocks needs a blocks cache as source") { return e }
        if o.dstBlocks.isEmpty { return .paramInvalid("dst_blocks must not be empty") }
        if o.srcBlocks.isEmpty { return .paramInvalid("src_blocks must not be empty") }
        if o.srcBlocks.count != o.dstBlocks.count {
            return .paramInvalid("src_blocks has \(o.srcBlocks.count) blocks but dst_blocks \(o.dstBlocks.count)")
        }
        if let e = checkIndices(o.srcBlocks, count: src.slots, name: "src_blocks") { return e }
        return checkSourceLayers(src, o.layers)
    }

    /// push_blocks (blocks → blocks): source blocks in order to destination blocks in order, equal sizes.
    public static func pushBlocks(
        src: CacheGeometry,
        dst: CacheGeometry,
        options o: PushBlocksOptions
    )
        -> Result<TransferPlan, APIError>
    {
        if let e = checkPushBlocksSource(src, o) { return .failure(e) }
        if let e = requireKind(dst, .blocks, "push_blocks destination is not a blocks cache") { return .failure(e) }
        if let e = checkIndices(o.dstBlocks, count: dst.slots, name: "dst_blocks") { return .failure(e) }
        guard src.stride == dst.stride else {
            return .failure(.paramInvalid("block sizes differ: source \(src.stride), destination \(dst.stride)"))
        }
        return o.layers.tensors(o.layers.src, numTensors: src.numTensors, side: "src", wholeLayers: true).flatMap {
            srcTensors in
            o.layers.tensors(o.layers.dst, numTensors: dst.numTensors, side: "dst").flatMap { dstTensors in
                plan(
                    source: (srcTensors, blockRuns(o.srcBlocks, stride: src.stride)),
                    destination: (dstTensors, blockRuns(o.dstBlocks, stride: dst.stride))
                )
            }
        }
    }

    /// The pusher's layer checks: whole layers (as the library), the source range, equal explicit lengths.
    private static func checkSourceLayers(_ src: CacheGeometry, _ layers: LayerSelection) -> APIError? {
        if case .failure(let e) = layers.tensors(layers.src, numTensors: src.numTensors, side: "src", wholeLayers: true)
        {
            return e
        }
        return layers.checkExplicitCounts()
    }
}
