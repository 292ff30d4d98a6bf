import Testing

@testable import DataDistModel

/// pull_cache and pull_blocks plans and checks.
@Suite struct TransferPlanPullTests {
    typealias T = TransferFixture

    @Test func pullCacheWholeSlot() throws {
        let dst = T.geometry(.cache, shape: [4, 64])
        let src = T.geometry(.cache, shape: [2, 128])
        let plan = try TransferPlanner.pullCache(
            dst: dst,
            src: src,
            srcSlot: 1,
            options: PullCacheOptions(batchIndex: 3)
        )
        #expect(plan.source.tensors == [0, 1, 2, 3])
        #expect(plan.source.runs == [ByteRun(offset: 128, length: 64)])
        #expect(plan.destination.runs == [ByteRun(offset: 192, length: 64)])
        #expect(plan.totalBytes == 256)
    }

    @Test func pullCacheSizeAndLayers() throws {
        let dst = T.geometry(.cache, tensors: 4, shape: [2, 64])
        let src = T.geometry(.cache, tensors: 6, shape: [2, 64])
        let layers = LayerSelection(src: LayerRange(start: 1, stop: 3), dst: LayerRange(start: 0, stop: 2))
        let plan = try TransferPlanner.pullCache(
            dst: dst,
            src: src,
            srcSlot: 0,
            options: PullCacheOptions(batchIndex: 1, size: 10, layers: layers)
        )
        #expect(plan.source.tensors == [2, 3, 4, 5])
        #expect(plan.destination.tensors == [0, 1, 2, 3])
        #expect(plan.source.runs == [ByteRun(offset: 0, length: 10)])
        #expect(plan.destination.runs == [ByteRun(offset: 64, length: 10)])
        #expect(plan.totalBytes == 40)
    }

    @Test func pullCacheChecks() {
        let dst = T.geometry(.cache, shape: [2, 64])
        let src = T.geometry(.cache, shape: [2, 32])
        func pull(_ d: CacheGeometry, _ s: CacheGeometry, slot: Int = 0, _ o: PullCacheOptions) -> APIStatus? {
            T.status(outcome { try TransferPlanner.pullCache(dst: d, src: s, srcSlot: slot, options: o) })
        }
        // Case 63 and 64.
        #expect(pull(dst, src, .init(size: 0)) == .LLM_PARAM_INVALID)
        #expect(pull(dst, src, .init(size: -2)) == .LLM_PARAM_INVALID)
        #expect(pull(dst, src, .init(size: 65)) == .LLM_PARAM_INVALID)
        #expect(pull(dst, src, .init(batchIndex: 2, size: 8)) == .LLM_PARAM_INVALID)
        #expect(pull(T.geometry(.blocks), src, .init(size: 8)) == .LLM_PARAM_INVALID)
        // The destination stride (64) exceeds the source stride (32): default size fails, 32 fits.
        #expect(pull(dst, src, .init()) == .LLM_PARAM_INVALID)
        #expect(pull(dst, src, .init(size: 32)) == nil)
        #expect(pull(dst, T.geometry(.blocks), .init(size: 8)) == .LLM_PARAM_INVALID)
        #expect(pull(dst, src, slot: 2, .init(size: 8)) == .LLM_PARAM_INVALID)
        // Case 65: one tensor, a layer range of one layer of 2 tensors.
        let one = T.geometry(.cache, tensors: 1, shape: [2, 64])
        let layer0 = LayerSelection(src: LayerRange(start: 0, stop: 1), dst: LayerRange(start: 0, stop: 1))
        #expect(pull(one, one, .init(size: 4, layers: layer0)) == .LLM_PARAM_INVALID)
        #expect(pull(one, one, .init(size: 4)) == nil)
        // Mismatched counts: explicit lengths, or all tensors of different caches.
        let mismatch = LayerSelection(src: LayerRange(start: 0, stop: 1), dst: LayerRange(start: 0, stop: 2))
        #expect(
            failure { try TransferPlanner.checkPullCacheDestination(dst, .init(layers: mismatch)) }?.status
                == .LLM_PARAM_INVALID
        )
        #expect(pull(dst, T.geometry(.cache, tensors: 6, shape: [2, 64]), .init()) == .LLM_PARAM_INVALID)
        #expect(failure { try TransferPlanner.checkPullCacheDestination(dst, .init()) } == nil)
    }

    @Test func pullBlocksB2B() throws {
        let dst = T.geometry(.blocks, tensors: 2, shape: [8, 16])
        let src = T.geometry(.blocks, tensors: 2, shape: [4, 16])
        let o = PullBlocksOptions(byBlocksKey: true, srcBlocks: [0, 1, 3], dstBlocks: [5, 7, 6])
        let plan = try TransferPlanner.pullBlocks(dst: dst, src: src, srcSlot: 0, options: o)
        #expect(plan.source.runs == [ByteRun(offset: 0, length: 32), ByteRun(offset: 48, length: 16)])
        #expect(
            plan.destination.runs == [
                ByteRun(offset: 80, length: 16), ByteRun(offset: 112, length: 16), ByteRun(offset: 96, length: 16),
            ]
        )
        #expect(plan.totalBytes == 96)
        #expect(T.stream(plan.source).count == T.stream(plan.destination).count)
    }

    @Test func pullBlocksC2BCutsTheSlotIntoChunks() throws {
        let dst = T.geometry(.blocks, tensors: 2, shape: [8, 16])
        let src = T.geometry(.cache, tensors: 2, shape: [2, 64])
        let o = PullBlocksOptions(byBlocksKey: false, srcBlocks: [], dstBlocks: [3, 4, 0, 7])
        let plan = try TransferPlanner.pullBlocks(dst: dst, src: src, srcSlot: 1, options: o)
        #expect(plan.source.runs == [ByteRun(offset: 64, length: 64)])
        #expect(
            plan.destination.runs == [
                ByteRun(offset: 48, length: 32), ByteRun(offset: 0, length: 16), ByteRun(offset: 112, length: 16),
            ]
        )
        // Five blocks of 16 bytes do not fit a 64-byte slot.
        let five = PullBlocksOptions(byBlocksKey: false, srcBlocks: [], dstBlocks: [0, 1, 2, 3, 4])
        #expect(
            T.status(outcome { try TransferPlanner.pullBlocks(dst: dst, src: src, srcSlot: 0, options: five) })
                == .LLM_PARAM_INVALID
        )
    }

    /// Case 69 and the contract's pull_blocks checks.
    @Test func pullBlocksChecks() {
        let dst = T.geometry(.blocks, tensors: 2, shape: [8, 16])
        let blocksSrc = T.geometry(.blocks, tensors: 2, shape: [4, 16])
        let cacheSrc = T.geometry(.cache, tensors: 2, shape: [2, 64])
        func pull(_ s: CacheGeometry, _ byKey: Bool, _ src: [Int], _ dstB: [Int], d: CacheGeometry = dst) -> APIStatus?
        {
            T.status(
                outcome {
                    try TransferPlanner.pullBlocks(
                        dst: d,
                        src: s,
                        srcSlot: 0,
                        options: PullBlocksOptions(byBlocksKey: byKey, srcBlocks: src, dstBlocks: dstB)
                    )
                }
            )
        }
        #expect(pull(blocksSrc, true, [0, 1], [2]) == .LLM_PARAM_INVALID)
        #expect(pull(blocksSrc, true, [], [0]) == .LLM_PARAM_INVALID)
        #expect(pull(cacheSrc, false, [0], [0]) == .LLM_PARAM_INVALID)
        #expect(pull(cacheSrc, false, [], [0]) == nil)
        #expect(pull(blocksSrc, true, [0], []) == .LLM_PARAM_INVALID)
        #expect(pull(blocksSrc, true, [0], [8]) == .LLM_PARAM_INVALID)
        #expect(pull(blocksSrc, true, [0], [-1]) == .LLM_PARAM_INVALID)
        #expect(pull(blocksSrc, true, [4], [0]) == .LLM_PARAM_INVALID)
        #expect(
            pull(blocksSrc, true, [0], [0], d: T.geometry(.cache, tensors: 2, shape: [8, 16])) == .LLM_PARAM_INVALID
        )
        #expect(pull(T.geometry(.blocks, tensors: 2, shape: [4, 32]), true, [0], [0]) == .LLM_PARAM_INVALID)
        #expect(pull(cacheSrc, true, [0], [0]) == .LLM_PARAM_INVALID)
        #expect(pull(blocksSrc, false, [], [0]) == .LLM_PARAM_INVALID)
        #expect(pull(T.geometry(.blocks, tensors: 3, shape: [4, 16]), true, [0], [0]) == .LLM_PARAM_INVALID)
    }
}
