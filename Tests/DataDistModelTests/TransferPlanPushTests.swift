import Testing

@testable import DataDistModel

/// push_cache and push_blocks: the pull checks mirrored.
@Suite struct TransferPlanPushTests {
    typealias T = TransferFixture

    @Test func pushCache() throws {
        let src = T.geometry(.cache, tensors: 4, shape: [2, 32])
        let dst = T.geometry(.cache, tensors: 4, shape: [3, 64])
        let plan = try TransferPlanner.pushCache(
            src: src,
            dst: dst,
            dstSlot: 2,
            options: PushCacheOptions(srcBatchIndex: 1)
        )
        #expect(plan.source.runs == [ByteRun(offset: 32, length: 32)])
        #expect(plan.destination.runs == [ByteRun(offset: 128, length: 32)])
        #expect(plan.totalBytes == 128)
    }

    @Test func pushCacheChecks() {
        let src = T.geometry(.cache, tensors: 4, shape: [2, 64])
        let dst = T.geometry(.cache, tensors: 4, shape: [2, 32])
        func push(_ s: CacheGeometry, _ d: CacheGeometry, slot: Int = 0, _ o: PushCacheOptions) -> APIStatus? {
            T.status(outcome { try TransferPlanner.pushCache(src: s, dst: d, dstSlot: slot, options: o) })
        }
        #expect(push(src, dst, .init()) == .LLM_PARAM_INVALID)  // 64 bytes into a 32-byte slot
        #expect(push(src, dst, .init(size: 32)) == nil)
        #expect(push(src, dst, .init(srcBatchIndex: 2, size: 32)) == .LLM_PARAM_INVALID)
        #expect(push(src, dst, slot: 2, .init(size: 32)) == .LLM_PARAM_INVALID)
        #expect(push(src, dst, .init(size: 0)) == .LLM_PARAM_INVALID)
        #expect(push(src, dst, .init(size: 65)) == .LLM_PARAM_INVALID)
        #expect(push(T.geometry(.blocks), dst, .init(size: 8)) == .LLM_PARAM_INVALID)
        #expect(push(src, T.geometry(.blocks), .init(size: 8)) == .LLM_PARAM_INVALID)
        // Case 71: unequal ranges; N = 3 with 10 tensors.
        let unequal = LayerSelection(src: LayerRange(start: 0, stop: 2), dst: LayerRange(start: 0, stop: 1))
        #expect(
            failure { try TransferPlanner.checkPushCacheSource(src, .init(size: 8, layers: unequal)) }?.status
                == .LLM_PARAM_INVALID
        )
        let ten = T.geometry(.cache, tensors: 10, shape: [2, 64])
        #expect(
            failure {
                try TransferPlanner.checkPushCacheSource(ten, .init(layers: LayerSelection(tensorsPerLayer: 3)))
            }?.status
                == .LLM_PARAM_INVALID
        )
        #expect(
            failure { try TransferPlanner.checkPushCacheSource(ten, .init(layers: LayerSelection(tensorsPerLayer: 5))) }
                == nil
        )
    }

    @Test func pushBlocks() throws {
        let src = T.geometry(.blocks, tensors: 2, shape: [4, 16])
        let dst = T.geometry(.blocks, tensors: 2, shape: [8, 16])
        let layers = LayerSelection(
            src: LayerRange(start: 0, stop: 2),
            dst: LayerRange(start: 0, stop: 2),
            tensorsPerLayer: 1
        )
        let plan = try TransferPlanner.pushBlocks(
            src: src,
            dst: dst,
            options: PushBlocksOptions(srcBlocks: [0, 1, 2], dstBlocks: [0, 1, 2], layers: layers)
        )
        #expect(plan.source.runs == [ByteRun(offset: 0, length: 48)])
        #expect(plan.destination.runs == [ByteRun(offset: 0, length: 48)])
        #expect(plan.source.tensors == [0, 1])
        func push(_ s: [Int], _ d: [Int], src g: CacheGeometry = src, dst h: CacheGeometry = dst) -> APIStatus? {
            T.status(
                outcome {
                    try TransferPlanner.pushBlocks(
                        src: g,
                        dst: h,
                        options: PushBlocksOptions(srcBlocks: s, dstBlocks: d)
                    )
                }
            )
        }
        #expect(push([0], []) == .LLM_PARAM_INVALID)
        #expect(push([], [0]) == .LLM_PARAM_INVALID)
        #expect(push([0, 1], [0]) == .LLM_PARAM_INVALID)
        #expect(push([4], [0]) == .LLM_PARAM_INVALID)
        #expect(push([0], [8]) == .LLM_PARAM_INVALID)
        #expect(push([0], [0], src: T.geometry(.cache, tensors: 2, shape: [4, 16])) == .LLM_PARAM_INVALID)
        #expect(push([0], [0], dst: T.geometry(.cache, tensors: 2, shape: [8, 16])) == .LLM_PARAM_INVALID)
        #expect(push([0], [0], dst: T.geometry(.blocks, tensors: 2, shape: [8, 8])) == .LLM_PARAM_INVALID)
        #expect(push([0], [0]) == nil)
    }
}
