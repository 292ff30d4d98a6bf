extension TransferPlanner {
    /// copy_cache (facts §2.8): neither cache blocks; `size` -1 or > 0; equal tensor counts; batch indices
    /// in range; `offset` (when > 0) below both strides; the copy size (`size`, or source stride − offset)
    /// within `stride − offset` on both sides. Copies `[batch*stride + offset, +size)` of every tensor.
    public static func copyCache(
        dst: CacheGeometry,
        src: CacheGeometry,
        options o: CopyCacheOptions
    )
        throws(APIError) -> TransferPlan
    {
        guard src.kind == .cache, dst.kind == .cache else {
            throw .paramInvalid("copy_cache works on normal caches only; use copy_blocks for blocks")
        }
        guard o.size == -1 || o.size > 0 else {
            throw .paramInvalid("size \(o.size) must be -1 or > 0")
        }
        guard src.numTensors == dst.numTensors else {
            throw .paramInvalid("num_tensors differ: source \(src.numTensors), destination \(dst.numTensors)")
        }
        guard o.srcBatchIndex >= 0, o.srcBatchIndex < src.slots else {
            throw .paramInvalid("src_batch_index \(o.srcBatchIndex) is out of range [0, \(src.slots))")
        }
        guard o.dstBatchIndex >= 0, o.dstBatchIndex < dst.slots else {
            throw .paramInvalid("dst_batch_index \(o.dstBatchIndex) is out of range [0, \(dst.slots))")
        }
        guard o.offset < UInt64(src.stride), o.offset < UInt64(dst.stride) else {
            throw .paramInvalid(
                "offset \(o.offset) must be below both strides (source \(src.stride), destination \(dst.stride))"
            )
        }
        let offset = Int(o.offset)
        let size = o.size == -1 ? src.stride - offset : Int(o.size)
        guard size <= src.stride - offset, size <= dst.stride - offset else {
            throw .paramInvalid(
                "copy of \(size) bytes at offset \(offset) exceeds a slot (source stride \(src.stride), "
                    + "destination stride \(dst.stride))"
            )
        }
        let all = 0..<src.numTensors
        return try plan(
            source: (all, [ByteRun(offset: o.srcBatchIndex * src.stride + offset, length: size)]),
            destination: (all, [ByteRun(offset: o.dstBatchIndex * dst.stride + offset, length: size)])
        )
    }

    /// copy_blocks within one blocks cache: each `(src, dsts)` copies block `src` to every block of `dsts`,
    /// in order; every index must be below `num_blocks`. Executors must read before they write per tensor
    /// (or copy pair by pair) when source and destination blocks overlap.
    public static func copyBlocks(
        cache: CacheGeometry,
        mapping: [(src: Int, dsts: [Int])]
    )
        throws(APIError) -> TransferPlan
    {
        guard cache.kind == .blocks else { throw .paramInvalid("copy_blocks needs a blocks cache") }
        var srcBlocks: [Int] = []
        var dstBlocks: [Int] = []
        for (src, dsts) in mapping {
            srcBlocks.append(contentsOf: repeatElement(src, count: dsts.count))
            dstBlocks.append(contentsOf: dsts)
        }
        try checkIndices(srcBlocks, count: cache.slots, name: "source blocks")
        try checkIndices(dstBlocks, count: cache.slots, name: "destination blocks")
        let all = 0..<cache.numTensors
        return try plan(
            source: (all, blockRuns(srcBlocks, stride: cache.stride)),
            destination: (all, blockRuns(dstBlocks, stride: cache.stride))
        )
    }

    /// swap_blocks: both blocks caches with equal block size and tensor count, indices in range, and the
    /// placements HOST → DEVICE (swap in) or DEVICE → HOST (swap out).
    public static func swapBlocks(
        src: CacheGeometry,
        dst: CacheGeometry,
        pairs: [(src: Int, dst: Int)]
    )
        throws(APIError) -> TransferPlan
    {
        guard src.kind == .blocks, dst.kind == .blocks else {
            throw .paramInvalid("swap_blocks needs two blocks caches")
        }
        guard src.stride == dst.stride, src.numTensors == dst.numTensors else {
            throw .paramInvalid(
                "swap_blocks needs equal block sizes and tensor counts (source \(src.stride) B × "
                    + "\(src.numTensors), destination \(dst.stride) B × \(dst.numTensors))"
            )
        }
        let srcBlocks = pairs.map(\.src)
        let dstBlocks = pairs.map(\.dst)
        try checkIndices(srcBlocks, count: src.slots, name: "source blocks")
        try checkIndices(dstBlocks, count: dst.slots, name: "destination blocks")
        guard src.placement != dst.placement else {
            throw .paramInvalid(
                "swap_blocks goes HOST → DEVICE or DEVICE → HOST, not \(src.placement.rawValue) → "
                    + dst.placement.rawValue
            )
        }
        let all = 0..<src.numTensors
        return try plan(
            source: (all, blockRuns(srcBlocks, stride: src.stride)),
            destination: (all, blockRuns(dstBlocks, stride: dst.stride))
        )
    }
}
