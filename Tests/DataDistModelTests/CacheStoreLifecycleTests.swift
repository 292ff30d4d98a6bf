import Testing

@testable import DataDistModel

/// Reference counting (facts §1.9), pins, consumption and lookups.
@Suite struct CacheStoreLifecycleTests {
    typealias F = StoreFixture

    /// Case 53, step by step.
    @Test func releasedCacheLivesWhileKeysRemain() throws {
        var store = F.store()
        let keys = [F.key(10), F.key(UInt64.max), F.key(12)]
        let c = try store.allocate(desc: F.desc(2, [4, 256]), blocks: false, cacheKeys: keys, role: .prompt)
        let used = F.usage(store)
        #expect(used == [2048, 0])
        store.deallocate(c.id)
        #expect(F.usage(store) == used)
        #expect(store.isReleased(c.id))
        #expect(
            outcome { try store.lookup(.request(10)) } == .success(ResolvedSlot(cache: c, slot: 0, key: .request(10)))
        )
        #expect(outcome { try store.lookup(.request(12)) }.map(\.slot) == .success(2))
        #expect(store.boundKey(cacheID: c.id, slot: 1) == nil)
        #expect(store.boundKey(cacheID: c.id, slot: 3) == nil)
        // By-id access ends at deallocate.
        #expect(outcome { try store.lookup(cacheID: c.id, batchIndex: 0) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
        #expect(outcome { try store.localCache(c.id) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
        #expect(outcome { try store.removeKey(.request(10), role: .prompt) }.failureStatus == nil)
        #expect(F.usage(store) == used)
        #expect(outcome { try store.removeKey(.request(12), role: .mix) }.failureStatus == nil)
        #expect(F.usage(store) == [0, 0])
        #expect(store.cache(c.id) == nil)
        #expect(store.cacheCount == 0)
        #expect(outcome { try store.removeKey(.request(10), role: .prompt) }.failureStatus == nil)
        #expect(outcome { try store.lookup(cacheID: c.id, batchIndex: 0) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
        #expect(outcome { try store.lookup(.request(12)) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
    }

    @Test func keylessCacheIsFreedAtDeallocate() throws {
        var store = F.store()
        let c = try store.allocate(desc: F.desc(), blocks: false, role: .prompt)
        store.deallocate(c.id)
        #expect(F.usage(store) == [0, 0])
        store.deallocate(c.id)
        store.deallocate(999)
        #expect(store.cache(c.id) == nil)
    }

    @Test func removingKeysOfALiveCacheKeepsIt() throws {
        var store = F.store()
        let c = try store.allocate(desc: F.desc(), blocks: false, cacheKeys: [F.key(1)], role: .prompt)
        #expect(outcome { try store.removeKey(.request(1), role: .prompt) }.failureStatus == nil)
        #expect(outcome { try store.localCache(c.id) } == .success(c))
        #expect(F.usage(store) == [2048, 0])
        store.deallocate(c.id)
        #expect(F.usage(store) == [0, 0])
    }

    @Test func blocksCacheIsFreedAtOnceWithItsKey() throws {
        var store = F.store()
        let key = BlocksCacheKey(promptClusterID: 0, modelID: 2)
        let c = try store.allocate(desc: F.desc(), blocks: true, blocksKey: key, role: .prompt)
        #expect(outcome { try store.lookupBlocks(modelID: 2) } == .success(c))
        store.deallocate(c.id)
        #expect(F.usage(store) == [0, 0])
        #expect(outcome { try store.lookupBlocks(modelID: 2) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
        // The model id is free again.
        #expect(
            outcome { try store.allocate(desc: F.desc(), blocks: true, blocksKey: key, role: .prompt) }.failureStatus
                == nil
        )
    }

    @Test func lookupByIDReportsTheBoundKey() throws {
        var store = F.store()
        let c = try store.allocate(
            desc: F.desc(),
            blocks: false,
            cacheKeys: [F.key(1), F.key(2, prefix: 9)],
            role: .prompt
        )
        #expect(
            outcome { try store.lookup(cacheID: c.id, batchIndex: 0) }
                == .success(ResolvedSlot(cache: c, slot: 0, key: .request(1)))
        )
        #expect(outcome { try store.lookup(cacheID: c.id, batchIndex: 1) }.map(\.key) == .success(.prefix(9)))
        #expect(outcome { try store.lookup(cacheID: c.id, batchIndex: 3) }.map(\.key) == .success(nil))
        #expect(outcome { try store.lookup(cacheID: c.id, batchIndex: 4) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
        #expect(outcome { try store.lookup(cacheID: c.id, batchIndex: -1) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
        #expect(outcome { try store.lookup(cacheID: 77, batchIndex: 0) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
        #expect(outcome { try store.lookupBlocks(modelID: 0) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
    }

    /// Cases 53/58: a verified pull by request key consumes it; the second pull finds nothing.
    @Test func consumeUnbindsRequestKeysOnly() throws {
        var store = F.store()
        let c = try store.allocate(
            desc: F.desc(),
            blocks: false,
            cacheKeys: [F.key(1000), F.key(1001), F.key(0, prefix: 4)],
            role: .prompt
        )
        #expect(store.consume(.request(1001)) == true)
        #expect(outcome { try store.lookup(.request(1001)) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
        #expect(store.consume(.request(1001)) == false)
        // Prefix keys are never consumed.
        #expect(store.consume(.prefix(4)) == false)
        #expect(outcome { try store.lookup(.prefix(4)) }.map(\.slot) == .success(2))
        // A released cache goes with its last key; a prefix key keeps it alive until removed.
        store.deallocate(c.id)
        #expect(store.consume(.request(1000)) == true)
        #expect(store.cache(c.id) != nil)
        #expect(outcome { try store.removeKey(.prefix(4), role: .prompt) }.failureStatus == nil)
        #expect(store.cache(c.id) == nil)
        #expect(F.usage(store) == [0, 0])
    }

    @Test func blocksKeysAreNeverConsumed() throws {
        var store = F.store()
        let c = try store.allocate(
            desc: F.desc(),
            blocks: true,
            blocksKey: BlocksCacheKey(promptClusterID: 0, modelID: 0),
            role: .prompt
        )
        // A blocks key's owner identity is not a request key.
        #expect(store.consume(.request(UInt64.max, modelID: 0)) == false)
        #expect(outcome { try store.lookupBlocks(modelID: 0) } == .success(c))
    }

    @Test func layerRangePullsConsumeWhenEveryTensorWasPulled() throws {
        var store = F.store()
        _ = try store.allocate(desc: F.desc(4, [2, 128]), blocks: false, cacheKeys: [F.key(1)], role: .prompt)
        #expect(store.consume(.request(1), tensors: [0, 1]) == false)
        #expect(store.consume(.request(1), tensors: [0, 1, 99]) == false)
        #expect(outcome { try store.lookup(.request(1)) }.failureStatus == nil)
        #expect(store.consume(.request(1), tensors: [2, 3]) == true)
        #expect(outcome { try store.lookup(.request(1)) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
    }

    @Test func pinsDeferTheReturnOfMemory() throws {
        var store = F.store()
        let c = try store.allocate(desc: F.desc(), blocks: false, cacheKeys: [F.key(1)], role: .prompt)
        #expect(Result { () throws(APIError) in try store.pin(c.id) }.failureStatus == nil)
        #expect(Result { () throws(APIError) in try store.pin(c.id) }.failureStatus == nil)
        #expect(store.pins(c.id) == 2)
        store.deallocate(c.id)
        #expect(store.consume(.request(1)) == true)
        // Invisible at once, memory still used.
        #expect(store.cache(c.id) == nil)
        #expect(outcome { try store.lookup(.request(1)) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
        #expect(Result { () throws(APIError) in try store.pin(c.id) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
        #expect(F.usage(store) == [2048, 0])
        // A new allocation cannot land on pinned memory.
        let d = try store.allocate(desc: F.desc(), blocks: false, role: .prompt)
        #expect(d.extents[0].extent.offset == 2048)
        #expect(store.unpin(c.id) == true)
        #expect(F.usage(store) == [4096, 0])
        #expect(store.unpin(c.id) == true)
        #expect(F.usage(store) == [2048, 0])
        #expect(store.unpin(c.id) == false)
        #expect(store.pins(c.id) == 0)
    }

    @Test func pinsOnLiveCachesAndBlocks() throws {
        var store = F.store()
        let b = try store.allocate(desc: F.desc(), blocks: true, role: .prompt)
        #expect(store.unpin(b.id) == false)
        #expect(Result { () throws(APIError) in try store.pin(b.id) }.failureStatus == nil)
        #expect(store.unpin(b.id) == true)
        #expect(outcome { try store.localCache(b.id) } == .success(b))
        #expect(Result { () throws(APIError) in try store.pin(b.id) }.failureStatus == nil)
        store.deallocate(b.id)
        #expect(F.usage(store) == [2048, 0])
        #expect(store.unpin(b.id) == true)
        #expect(F.usage(store) == [0, 0])
        #expect(Result { () throws(APIError) in try store.pin(12345) }.failureStatus == .LLM_KV_CACHE_NOT_EXIST)
    }
}
