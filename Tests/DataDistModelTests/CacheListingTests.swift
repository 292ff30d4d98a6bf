import Testing

@testable import DataDistModel

/// `GET /v1/cache` bodies.
@Suite struct CacheListingTests {
    typealias F = StoreFixture

    @Test func listsCachesInIDOrderWithPools() throws {
        var store = F.store()
        _ = try store.allocate(
            desc: F.desc(2, [4, 256]),
            blocks: false,
            cacheKeys: [F.key(UInt64.max), F.key(7, model: 1)],
            role: .prompt
        )
        _ = try store.allocate(
            desc: F.desc(1, [8, 128], .int8, .host),
            blocks: true,
            blocksKey: BlocksCacheKey(promptClusterID: 3, modelID: 1),
            role: .prompt
        )
        let cacheJSON: JSONValue = [
            "cache_id": 1,
            "cache_desc": [
                "num_tensors": 2, "shape": [4, 256], "data_type": "DT_INT8", "placement": "DEVICE",
                "seq_len_dim_index": -1,
            ],
            "kind": "cache", "tensor_size": 1024, "batch_size": 4, "stride": 256,
            "cache_keys": [
                ["prompt_cluster_id": 0, "req_id": 7, "model_id": 1, "prefix_id": .uint(UInt64.max), "batch_index": 1]
            ],
            "released": false,
        ]
        let blocksJSON: JSONValue = [
            "cache_id": 2,
            "cache_desc": [
                "num_tensors": 1, "shape": [8, 128], "data_type": "DT_INT8", "placement": "HOST",
                "seq_len_dim_index": -1,
            ],
            "kind": "blocks", "tensor_size": 1024, "num_blocks": 8, "stride": 128,
            "blocks_cache_key": ["prompt_cluster_id": 3, "model_id": 1], "released": false,
        ]
        #expect(store.json(cacheID: 1) == cacheJSON)
        #expect(store.json(cacheID: 2) == blocksJSON)
        #expect(store.json(cacheID: 3) == nil)
        let pools: JSONValue = [
            ["placement": "DEVICE", "device_id": 0, "capacity": 65536, "used": 2048, "free": 63488, "page_size": 1024],
            ["placement": "HOST", "device_id": 0, "capacity": 65536, "used": 1024, "free": 64512, "page_size": 1024],
        ]
        #expect(store.json == ["caches": [cacheJSON, blocksJSON], "pools": pools])
        store.deallocate(1)
        #expect(store.json(cacheID: 1)?["released"] == true)
        #expect(store.cacheIDs == [1, 2])
    }
}
