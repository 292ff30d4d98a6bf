import Testing

@testable import DataDistModel

/// copy_cache, copy_blocks, swap_blocks (facts §2.8), through the store.
@Suite struct TransferPlanLocalTests {
    typealias F = StoreFixture

    @Test func copyCacheRules() throws {
        var store = F.store()
        let a = try store.allocate(desc: F.desc(2, [2, 64]), blocks: false, role: .mix)
        let b = try store.allocate(desc: F.desc(2, [4, 32]), blocks: false, role: .mix)
        let c = try store.allocate(desc: F.desc(3, [2, 64]), blocks: false, role: .mix)
        let blocks = try store.allocate(desc: F.desc(2, [2, 64]), blocks: true, role: .mix)
        let copy = try store.planCopyCache(
            dstID: b.id,
            srcID: a.id,
            options: CopyCacheOptions(dstBatchIndex: 3, srcBatchIndex: 1, offset: 8, size: 16)
        )
        #expect(copy.source == a)
        #expect(copy.destination == b)
        #expect(copy.plan.source.runs == [ByteRun(offset: 72, length: 16)])
        #expect(copy.plan.destination.runs == [ByteRun(offset: 104, length: 16)])
        #expect(copy.plan.source.tensors == [0, 1])
        func status(_ dst: Int64, _ src: Int64, _ o: CopyCacheOptions) -> APIStatus? {
            outcome { try store.planCopyCache(dstID: dst, srcID: src, options: o) }.failureStatus
        }
        #expect(status(b.id, 99, .init(size: 8)) == .LLM_KV_CACHE_NOT_EXIST)
        #expect(status(99, a.id, .init(size: 8)) == .LLM_KV_CACHE_NOT_EXIST)
        #expect(status(c.id, a.id, .init()) == .LLM_PARAM_INVALID)  // case 75: tensor counts
        #expect(status(b.id, a.id, .init(srcBatchIndex: 5, size: 8)) == .LLM_PARAM_INVALID)
        #expect(status(b.id, a.id, .init(dstBatchIndex: 4, size: 8)) == .LLM_PARAM_INVALID)
        #expect(status(b.id, a.id, .init(offset: 32, size: 8)) == .LLM_PARAM_INVALID)  // offset ≥ dst stride
        #expect(status(b.id, a.id, .init(offset: UInt64.max, size: 8)) == .LLM_PARAM_INVALID)
        #expect(status(b.id, a.id, .init()) == .LLM_PARAM_INVALID)  // 64 bytes into 32
        #expect(status(b.id, a.id, .init(offset: 31, size: 2)) == .LLM_PARAM_INVALID)
        #expect(status(b.id, a.id, .init(offset: 31, size: 1)) == nil)
        #expect(status(b.id, a.id, .init(size: 0)) == .LLM_PARAM_INVALID)
        #expect(status(a.id, b.id, .init()) == nil)  // 32 bytes into 64
        #expect(status(blocks.id, a.id, .init()) == .LLM_PARAM_INVALID)
        store.deallocate(a.id)
        #expect(status(b.id, a.id, .init(size: 8)) == .LLM_KV_CACHE_NOT_EXIST)
    }

    @Test func copyBlocksMapping() throws {
        var store = F.store()
        let cache = try store.allocate(desc: F.desc(2, [8, 16]), blocks: true, role: .mix)
        let normal = try store.allocate(desc: F.desc(2, [8, 16]), blocks: false, role: .mix)
        let mapping = try BlockMapping.decodeOneToMany(["0": [1, 2], "5": [6]], field: "mapping")
        let copy = try store.planCopyBlocks(cacheID: cache.id, mapping: mapping)
        #expect(
            copy.plan.source.runs == [
                ByteRun(offset: 0, length: 16), ByteRun(offset: 0, length: 16), ByteRun(offset: 80, length: 16),
            ]
        )
        #expect(copy.plan.destination.runs == [ByteRun(offset: 16, length: 32), ByteRun(offset: 96, length: 16)])
        #expect(
            outcome { try store.planCopyBlocks(cacheID: cache.id, mapping: [(8, [0])]) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try store.planCopyBlocks(cacheID: cache.id, mapping: [(0, [8])]) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try store.planCopyBlocks(cacheID: normal.id, mapping: [(0, [1])]) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try store.planCopyBlocks(cacheID: 99, mapping: [(0, [1])]) }.failureStatus
                == .LLM_KV_CACHE_NOT_EXIST
        )
        #expect(outcome { try BlockMapping.decodeOneToMany(["x": [1]], field: "mapping") }.failureStatus == .TYPE_ERROR)
        #expect(
            outcome { try BlockMapping.decodeOneToMany(["-1": [1]], field: "mapping") }.failureStatus == .TYPE_ERROR
        )
        #expect(outcome { try BlockMapping.decodeOneToMany(["0": 1], field: "mapping") }.failureStatus == .TYPE_ERROR)
        #expect(
            outcome { try BlockMapping.decodeOneToMany(["0": [-1]], field: "mapping") }.failureStatus == .VALUE_ERROR
        )
        #expect(outcome { try BlockMapping.decodeOneToMany([0], field: "mapping") }.failureStatus == .TYPE_ERROR)
    }

    /// Case 76 and the swap rules.
    @Test func swapBlocksRules() throws {
        var store = F.store()
        let npu = try store.allocate(desc: F.desc(2, [8, 16]), blocks: true, role: .mix)
        let npu2 = try store.allocate(desc: F.desc(2, [8, 16]), blocks: true, role: .mix)
        let cpu = try store.allocate(desc: F.desc(2, [4, 16], .int8, .host), blocks: true, role: .mix)
        let cpuWide = try store.allocate(desc: F.desc(2, [4, 32], .int8, .host), blocks: true, role: .mix)
        let cpuCache = try store.allocate(desc: F.desc(2, [4, 16], .int8, .host), blocks: false, role: .mix)
        let pairs = try BlockMapping.decodeOneToOne(["0": 3, "1": 2], field: "src_to_dst")
        #expect(
            outcome { try store.planSwapBlocks(srcID: npu.id, dstID: npu2.id, pairs: [(0, 0)]) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        let swapIn = try store.planSwapBlocks(srcID: cpu.id, dstID: npu.id, pairs: pairs)
        #expect(swapIn.plan.source.runs == [ByteRun(offset: 0, length: 32)])
        #expect(swapIn.plan.destination.runs == [ByteRun(offset: 48, length: 16), ByteRun(offset: 32, length: 16)])
        #expect(
            outcome { try store.planSwapBlocks(srcID: npu.id, dstID: cpu.id, pairs: [(7, 3)]) }.failureStatus == nil
        )
        #expect(
            outcome { try store.planSwapBlocks(srcID: npu.id, dstID: cpu.id, pairs: [(7, 4)]) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try store.planSwapBlocks(srcID: npu.id, dstID: cpuWide.id, pairs: [(0, 0)]) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try store.planSwapBlocks(srcID: npu.id, dstID: cpuCache.id, pairs: [(0, 0)]) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try store.planSwapBlocks(srcID: npu.id, dstID: 99, pairs: [(0, 0)]) }.failureStatus
                == .LLM_KV_CACHE_NOT_EXIST
        )
        #expect(
            outcome { try BlockMapping.decodeOneToOne(["0": "1"], field: "src_to_dst") }.failureStatus == .TYPE_ERROR
        )
    }
}
