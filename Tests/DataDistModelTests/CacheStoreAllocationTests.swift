import Testing

@testable import DataDistModel

/// Allocation: ids, memory layout, out of memory, multi-device, role gates and key rules.
@Suite struct CacheStoreAllocationTests {
    typealias F = StoreFixture

    @Test func idsStartAtOneAndLayoutIsPageAligned() throws {
        var store = F.store()
        let a = try store.allocate(desc: F.desc(3, [4, 300]), blocks: false, role: .decoder)
        #expect(a.id == 1)
        #expect(a.kind == .cache)
        #expect(a.tensorSize == 1200)
        #expect(a.tensorSpan == 2048)
        #expect(a.extents == [DeviceExtent(deviceID: 0, extent: PoolExtent(offset: 0, length: 6144))])
        #expect(a.tensorOffset(0) == 0)
        #expect(a.tensorOffset(2) == 4096)
        let b = try store.allocate(desc: F.desc(), blocks: true, role: .decoder)
        #expect(b.id == 2)
        #expect(b.kind == .blocks)
        #expect(b.extents[0].extent.offset == 6144)
        #expect(store.nextCacheID == 3)
        #expect(F.usage(store) == [6144 + 2048, 0])
    }

    @Test func idsAreNeverReusedEvenAfterFailures() throws {
        var store = F.store(device: 4096)
        #expect(
            outcome { try store.allocate(desc: F.desc(1, [1, 1024]), blocks: false, role: .prompt) }.map(\.id)
                == .success(1)
        )
        store.deallocate(1)
        // Out of memory consumes an id.
        let big = outcome { try store.allocate(desc: F.desc(8, [1, 1024]), blocks: false, role: .prompt) }
        #expect(big.failureStatus == .LLM_OUT_OF_MEMORY)
        #expect(
            outcome { try store.allocate(desc: F.desc(1, [1, 1024]), blocks: false, role: .prompt) }.map(\.id)
                == .success(3)
        )
        // A key error is found before the id is consumed.
        let keys = [F.key(1), F.key(1)]
        #expect(
            outcome { try store.allocate(desc: F.desc(), blocks: false, cacheKeys: keys, role: .prompt) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try store.allocate(desc: F.desc(1, [1, 8]), blocks: false, role: .prompt) }.map(\.id)
                == .success(4)
        )
    }

    @Test func outOfMemoryLeaksNothing() throws {
        var store = F.store(device: 8 << 10, host: 4 << 10)
        _ = try store.allocate(desc: F.desc(2, [2, 1024]), blocks: false, role: .mix)
        let before = F.usage(store)
        let failed = outcome {
            try store.allocate(desc: F.desc(3, [2, 1024]), blocks: false, cacheKeys: [F.key(5)], role: .mix)
        }
        #expect(failed.failureStatus == .LLM_OUT_OF_MEMORY)
        #expect(failed.failureStatus.map(\.httpStatus) == 507)
        #expect(F.usage(store) == before)
        #expect(outcome { try store.lookup(.request(5)) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
        #expect(store.cacheCount == 1)
        // The key of the failed call was not bound: it can be used now.
        #expect(
            outcome { try store.allocate(desc: F.desc(1, [2, 512]), blocks: false, cacheKeys: [F.key(5)], role: .mix) }
                .map(\.id)
                == .success(3)
        )
        let host = outcome { try store.allocate(desc: F.desc(1, [5, 1024], .int8, .host), blocks: false, role: .mix) }
        #expect(host.failureStatus == .LLM_OUT_OF_MEMORY)
        #expect(F.usage(store)[1] == 0)
    }

    @Test func hugeDescriptionsAreOutOfMemory() {
        var store = F.store()
        let huge = F.desc(Int(UInt32.max), [1 << 40], .int64)
        #expect(
            outcome { try store.allocate(desc: huge, blocks: false, role: .mix) }.failureStatus == .LLM_OUT_OF_MEMORY
        )
        #expect(F.usage(store) == [0, 0])
    }

    @Test func multiDeviceAllocatesOnEveryDevice() throws {
        var store = F.store(devices: [3, 5], device: 8 << 10)
        let a = try store.allocate(desc: F.desc(2, [2, 1024]), blocks: false, role: .mix)
        #expect(a.extents.map(\.deviceID) == [3, 5])
        #expect(a.extents.map(\.extent) == [PoolExtent(offset: 0, length: 4096), PoolExtent(offset: 0, length: 4096)])
        #expect(a.tensorOffset(1, deviceIndex: 1) == 2048)
        #expect(store.poolUsage.map(\.deviceID) == [3, 5, 3, 5])
        #expect(F.usage(store) == [4096, 4096, 0, 0])
        store.deallocate(a.id)
        #expect(F.usage(store) == [0, 0, 0, 0])
    }

    @Test func outOfMemoryOnAnyDeviceRollsBackAll() throws {
        var store = F.store(devices: [0, 1, 2], device: 8 << 10)
        // Fill device 2 through its own pool only: occupy device 2 by allocating and freeing on others.
        let first = try store.allocate(desc: F.desc(1, [1, 4096]), blocks: false, role: .mix)
        #expect(F.usage(store) == [4096, 4096, 4096, 0, 0, 0])
        store.devicePools[2].free(first.extents[2].extent)
        let taken = store.devicePools[2].allocate(8192)
        let blocker = try #require(taken)
        // Devices 0 and 1 have 4 KiB free, device 2 has none: nothing may be kept on 0 or 1.
        let before = F.usage(store)
        #expect(
            outcome { try store.allocate(desc: F.desc(1, [1, 2048]), blocks: false, role: .mix) }.failureStatus
                == .LLM_OUT_OF_MEMORY
        )
        #expect(F.usage(store) == before)
        store.devicePools[2].free(blocker)
        #expect(try store.allocate(desc: F.desc(1, [1, 2048]), blocks: false, role: .mix).id == 3)
    }

    @Test func roleGates() {
        var store = F.store()
        let withKeys = outcome {
            try store.allocate(desc: F.desc(), blocks: false, cacheKeys: [F.key(1)], role: .decoder)
        }
        #expect(withKeys.failureStatus == .LLM_PARAM_INVALID)
        if case .failure(let e) = withKeys { #expect(e.message.contains("DECODER")) }
        let blocksKey = BlocksCacheKey(promptClusterID: 0)
        #expect(
            outcome { try store.allocate(desc: F.desc(), blocks: true, blocksKey: blocksKey, role: .decoder) }
                .failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(outcome { try store.removeKey(.request(1), role: .decoder) }.failureStatus == .LLM_PARAM_INVALID)
        #expect(store.nextCacheID == 1)
        #expect(outcome { try store.allocate(desc: F.desc(), blocks: false, role: .decoder) }.map(\.id) == .success(1))
        #expect(outcome { try store.allocate(desc: F.desc(), blocks: true, role: .decoder) }.map(\.id) == .success(2))
        #expect(
            outcome { try store.allocate(desc: F.desc(), blocks: false, cacheKeys: [F.key(1)], role: .prompt) }.map(
                \.id
            ) == .success(3)
        )
        #expect(
            outcome { try store.allocate(desc: F.desc(), blocks: false, cacheKeys: [F.key(2)], role: .mix) }.map(\.id)
                == .success(4)
        )
        #expect(
            outcome { try store.allocate(desc: F.desc(), blocks: true, blocksKey: blocksKey, role: .mix) }.map(\.id)
                == .success(5)
        )
        #expect(failure { try CacheRoleGate.check(.pullCache, role: .prompt) }?.status == .LLM_PARAM_INVALID)
        #expect(failure { try CacheRoleGate.check(.pullBlocks, role: .mix) } == nil)
        #expect(failure { try CacheRoleGate.check(.pullCache, role: .decoder) } == nil)
    }

    /// Case 50: more keys than slots.
    @Test func moreKeysThanSlots() {
        var store = F.store()
        let keys = [F.key(0), F.key(1), F.key(2)]
        #expect(
            outcome { try store.allocate(desc: F.desc(1, [2, 4]), blocks: false, cacheKeys: keys, role: .prompt) }
                .failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try store.allocate(desc: F.desc(1, [3, 4]), blocks: false, cacheKeys: keys, role: .prompt) }
                .failureStatus == nil
        )
    }

    /// Case 51: the same (req_id, model_id) from another cluster is already bound; duplicates in a call.
    @Test func keysAlreadyBoundOrDuplicated() {
        var store = F.store()
        #expect(
            outcome { try store.allocate(desc: F.desc(), blocks: false, cacheKeys: [F.key(5)], role: .prompt) }
                .failureStatus == nil
        )
        let other = CacheKey(promptClusterID: 9, reqID: 5)
        let again = outcome { try store.allocate(desc: F.desc(), blocks: false, cacheKeys: [other], role: .prompt) }
        #expect(again.failureStatus == .LLM_PARAM_INVALID)
        if case .failure(let e) = again { #expect(e.message.contains("already bound")) }
        #expect(
            outcome {
                try store.allocate(desc: F.desc(), blocks: false, cacheKeys: [F.key(6), F.key(6)], role: .prompt)
            }.failureStatus
                == .LLM_PARAM_INVALID
        )
        // Same id, other model, or a prefix key with the same number: distinct identities.
        #expect(
            outcome {
                try store.allocate(
                    desc: F.desc(),
                    blocks: false,
                    cacheKeys: [F.key(5, model: 1), F.key(0, prefix: 5)],
                    role: .prompt
                )
            }.failureStatus == nil
        )
        #expect(
            outcome {
                try store.allocate(desc: F.desc(), blocks: false, cacheKeys: [F.key(1, prefix: 5)], role: .prompt)
            }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(store.boundKeyCount == 3)
    }

    @Test func placeholdersSkipSlotsAndAreNotDuplicates() throws {
        var store = F.store()
        let pad = F.key(UInt64.max)
        let info = try store.allocate(desc: F.desc(), blocks: false, cacheKeys: [pad, F.key(8), pad], role: .prompt)
        #expect(store.boundKeyCount == 1)
        #expect(outcome { try store.lookup(.request(8)) }.map(\.slot) == .success(1))
        #expect(store.boundKey(cacheID: info.id, slot: 0) == nil)
        #expect(store.boundKey(cacheID: info.id, slot: 1) == F.key(8))
        #expect(outcome { try store.lookup(.request(UInt64.max)) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
    }

    @Test func blocksFlagAndKeysMustAgree() {
        var store = F.store()
        #expect(
            outcome { try store.allocate(desc: F.desc(), blocks: true, cacheKeys: [F.key(1)], role: .prompt) }
                .failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome {
                try store.allocate(
                    desc: F.desc(),
                    blocks: false,
                    blocksKey: BlocksCacheKey(promptClusterID: 0),
                    role: .prompt
                )
            }
            .failureStatus == .LLM_PARAM_INVALID
        )
        #expect(store.nextCacheID == 1)
    }

    /// Case 57: one blocks key per model id per node.
    @Test func oneBlocksKeyPerModel() throws {
        var store = F.store()
        let key = BlocksCacheKey(promptClusterID: 0, modelID: 3)
        let first = try store.allocate(desc: F.desc(), blocks: true, blocksKey: key, role: .prompt)
        let second = outcome {
            try store.allocate(
                desc: F.desc(),
                blocks: true,
                blocksKey: BlocksCacheKey(promptClusterID: 7, modelID: 3),
                role: .prompt
            )
        }
        #expect(second.failureStatus == .LLM_PARAM_INVALID)
        #expect(
            outcome {
                try store.allocate(
                    desc: F.desc(),
                    blocks: true,
                    blocksKey: BlocksCacheKey(promptClusterID: 0, modelID: 4),
                    role: .prompt
                )
            }.failureStatus == nil
        )
        #expect(outcome { try store.lookupBlocks(modelID: 3) } == .success(first))
        // A padding cache key with the same model id is not a blocks key (no collision here).
        #expect(
            outcome {
                try store.allocate(
                    desc: F.desc(),
                    blocks: false,
                    cacheKeys: [F.key(UInt64.max, model: 3)],
                    role: .prompt
                )
            }
            .failureStatus == nil
        )
    }
}
