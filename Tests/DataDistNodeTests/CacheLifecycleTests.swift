import DataDistModel
import HTTPCore
import Testing

@testable import DataDistNode

/// `GET /v1/cache`, `GET` and `DELETE /v1/cache/{id}`, `DELETE /v1/cache/keys` (CONTRACT §6).
@Suite struct CacheLifecycleTests {
    @Test func listingShowsCachesAndExactPoolUsage() throws {
        let node = CacheNode(devicePool: 64 << 10, hostPool: 32 << 10)
        #expect(
            call(node.api, "GET", "/v1/cache").text
                == #"{"caches":[],"pools":[{"placement":"DEVICE","device_id":0,"capacity":65536,"used":0,"free":65536,"#
                + #""page_size":1024},{"placement":"HOST","device_id":0,"capacity":32768,"used":0,"free":32768,"#
                + #""page_size":1024}]}"#
        )
        // 3 tensors of 200 bytes: one page each. 2 tensors of 1200 bytes: two pages each.
        let a = try node.cacheID(
            #"{"cache_desc":\#(desc(3, [2, 100])),"cache_keys":[{"prompt_cluster_id":4,"req_id":8}]}"#
        )
        let b = try node.cacheID(
            #"{"cache_desc":\#(desc(2, [4, 300], placement: "HOST")),"blocks":true}"#
        )
        let listing = try #require(node.listing())
        #expect(
            listing["pools"]?.serialized
                == #"[{"placement":"DEVICE","device_id":0,"capacity":65536,"used":3072,"free":62464,"page_size":1024},"#
                + #"{"placement":"HOST","device_id":0,"capacity":32768,"used":4096,"free":28672,"page_size":1024}]"#
        )
        let caches = try #require(listing["caches"]?.arrayValue)
        #expect(caches.count == 2)
        #expect(
            caches.first?.serialized
                == #"{"cache_id":\#(a),"cache_desc":{"num_tensors":3,"shape":[2,100],"data_type":"DT_UINT8","#
                + #""placement":"DEVICE","seq_len_dim_index":-1},"kind":"cache","tensor_size":200,"batch_size":2,"#
                + #""stride":100,"cache_keys":[{"prompt_cluster_id":4,"req_id":8,"model_id":0,"#
                + #""prefix_id":18446744073709551615,"batch_index":0}],"released":false,"memory":{"shm_path":null,"#
                + #""tensors":[{"offset":0,"size":200},{"offset":1024,"size":200},{"offset":2048,"size":200}]}}"#
        )
        #expect(
            caches.last?.serialized
                == #"{"cache_id":\#(b),"cache_desc":{"num_tensors":2,"shape":[4,300],"data_type":"DT_UINT8","#
                + #""placement":"HOST","seq_len_dim_index":-1},"kind":"blocks","tensor_size":1200,"num_blocks":4,"#
                + #""stride":300,"blocks_cache_key":null,"released":false,"memory":{"shm_path":null,"#
                + #""tensors":[{"offset":0,"size":1200},{"offset":2048,"size":1200}]}}"#
        )
        // GET one answers the same object as the listing.
        #expect(call(node.api, "GET", "/v1/cache/\(a)").json == caches.first)
        #expect(call(node.api, "GET", "/v1/cache/\(b)").json == caches.last)
    }

    @Test func everyDeviceHoldsACopy() throws {
        let node = CacheNode(devicePool: 16 << 10, devices: [0, 3])
        _ = try node.cacheID(#"{"cache_desc":\#(desc(2, [1, 1500]))}"#)
        let pools = node.listing()?["pools"]?.arrayValue ?? []
        #expect(pools.map { $0["placement"]?.stringValue ?? "" } == ["DEVICE", "DEVICE", "HOST", "HOST"])
        #expect(pools.map { $0["device_id"]?.int64Value ?? -1 } == [0, 3, 0, 3])
        #expect(pools.map { $0["used"]?.int64Value ?? -1 } == [4096, 4096, 0, 0])
    }

    @Test func getUnknownIs404AndBadIdIsTypeError() {
        let node = CacheNode()
        let r = call(node.api, "GET", "/v1/cache/99")
        #expect(r.status == 404)
        #expect(r.errorStatus == "LLM_KV_CACHE_NOT_EXIST")
        #expect(r.json?["error"]?["code"] == .int(APIStatus.LLM_KV_CACHE_NOT_EXIST.code))
        let bad = call(node.api, "GET", "/v1/cache/abc")
        #expect(bad.status == 400)
        #expect(bad.errorStatus == "TYPE_ERROR")
        #expect(call(node.api, "DELETE", "/v1/cache/abc").errorStatus == "TYPE_ERROR")
    }

    @Test func deallocateUnknownIsSuccess() {
        let node = CacheNode()
        let r = call(node.api, "DELETE", "/v1/cache/42")
        #expect(r.status == 200)
        #expect(r.text == #"{"status":"LLM_SUCCESS","code":0}"#)
    }

    @Test func cacheWithoutKeysIsFreedAtOnce() throws {
        let node = CacheNode()
        let id = try node.cacheID(#"{"cache_desc":\#(desc(2, [4, 8]))}"#)
        #expect(node.used("DEVICE") == 2048)
        #expect(call(node.api, "DELETE", "/v1/cache/\(id)").status == 200)
        #expect(call(node.api, "GET", "/v1/cache/\(id)").status == 404)
        #expect(node.used("DEVICE") == 0)
        // A second deallocate is the no-op of an unknown id.
        #expect(call(node.api, "DELETE", "/v1/cache/\(id)").status == 200)
    }

    @Test func normalCacheStaysWhileKeysRemain() throws {
        let node = CacheNode()
        let id = try node.cacheID(
            #"""
            {"cache_desc":\#(desc(2, [2, 8])),"cache_keys":[
              {"prompt_cluster_id":0,"req_id":1},{"prompt_cluster_id":0,"req_id":2,"model_id":3}]}
            """#
        )
        #expect(node.used("DEVICE") == 2048)
        #expect(call(node.api, "DELETE", "/v1/cache/\(id)").status == 200)
        let released = call(node.api, "GET", "/v1/cache/\(id)")
        #expect(released.status == 200)
        #expect(released.json?["released"] == .bool(true))
        #expect(released.json?["cache_keys"]?.arrayValue?.count == 2)
        #expect(node.used("DEVICE") == 2048)
        // Released: still pullable by key, no longer usable by id.
        #expect(
            node.core.state.withLock { s in Result { () throws(APIError) in try s.caches.lookup(.request(1)) } }
                .map(\.slot) == .success(0)
        )
        #expect(node.read(id, 0).response.status == 404)
        #expect(call(node.api, "DELETE", "/v1/cache/keys?req_id=1").status == 200)
        #expect(call(node.api, "GET", "/v1/cache/\(id)").json?["cache_keys"]?.arrayValue?.count == 1)
        #expect(node.used("DEVICE") == 2048)
        // The last key (model 3) goes: the cache is freed.
        #expect(call(node.api, "DELETE", "/v1/cache/keys?req_id=2&model_id=3").status == 200)
        #expect(call(node.api, "GET", "/v1/cache/\(id)").status == 404)
        #expect(node.used("DEVICE") == 0)
        #expect(node.listedIDs().isEmpty)
    }

    @Test func blocksCacheIsFreedAtOnceWithItsKey() throws {
        let node = CacheNode()
        let body =
            #"{"cache_desc":\#(desc(2, [4, 8])),"blocks":true,"blocks_cache_key":{"prompt_cluster_id":0,"model_id":3}}"#
        let id = try node.cacheID(body)
        #expect(node.used("DEVICE") == 2048)
        #expect(call(node.api, "DELETE", "/v1/cache/\(id)").status == 200)
        #expect(call(node.api, "GET", "/v1/cache/\(id)").status == 404)
        #expect(node.used("DEVICE") == 0)
        // The model id's blocks key is free again.
        let again = try node.cacheID(body)
        #expect(again > id)
    }

    @Test func removeKeyUnbindsOnlyThatKey() throws {
        let node = CacheNode()
        let id = try node.cacheID(
            #"""
            {"cache_desc":\#(desc(1, [3, 8])),"cache_keys":[
              {"prompt_cluster_id":0,"req_id":5,"model_id":2},{"prompt_cluster_id":0,"req_id":6,"prefix_id":9},
              {"prompt_cluster_id":0,"req_id":7}]}
            """#
        )
        func boundIDs() -> [Int64] {
            call(node.api, "GET", "/v1/cache/\(id)").json?["cache_keys"]?.arrayValue?.compactMap {
                $0["batch_index"]?.int64Value
            } ?? []
        }
        // (req 5, model 0) is not (req 5, model 2): unknown, a success that unbinds nothing.
        let unknown = call(node.api, "DELETE", "/v1/cache/keys?req_id=5")
        #expect(unknown.status == 200)
        #expect(unknown.text == #"{"status":"LLM_SUCCESS","code":0}"#)
        #expect(boundIDs() == [0, 1, 2])
        // A key with a prefix id is named by it; its req id names nothing.
        #expect(call(node.api, "DELETE", "/v1/cache/keys?req_id=6").status == 200)
        #expect(boundIDs() == [0, 1, 2])
        #expect(call(node.api, "DELETE", "/v1/cache/keys?prefix_id=9").status == 200)
        #expect(boundIDs() == [0, 2])
        #expect(call(node.api, "DELETE", "/v1/cache/keys?req_id=5&model_id=2").status == 200)
        #expect(boundIDs() == [2])
        // The slot is free for the key again: it can be bound to a new cache.
        #expect(
            node.allocate(
                #"{"cache_desc":\#(desc(1, [1])),"cache_keys":[{"prompt_cluster_id":0,"req_id":5,"model_id":2}]}"#
            )
            .status == 201
        )
    }

    @Test(arguments: [
        ("req_id=abc", "VALUE_ERROR"),
        ("req_id=-1", "VALUE_ERROR"),
        ("req_id=18446744073709551616", "VALUE_ERROR"),
        ("req_id=1&model_id=x", "VALUE_ERROR"),
        ("prefix_id=", "VALUE_ERROR"),
        ("model_id=1", "LLM_PARAM_INVALID"),
        ("", "LLM_PARAM_INVALID"),
        ("req_id=1&batch=2", "LLM_PARAM_INVALID"),
        ("req_id=1&req_id=2", "LLM_PARAM_INVALID"),
    ])
    func removeKeyRejectsBadQueries(query: String, status: String) {
        let node = CacheNode()
        let r = call(node.api, "DELETE", "/v1/cache/keys?" + query)
        #expect(r.status == 400, "\(query) → \(r.text)")
        #expect(r.errorStatus == status, "\(query) → \(r.text)")
    }

    @Test func decoderMayNotRemoveKeysButKeysSurviveASwitch() throws {
        let node = CacheNode(role: .mix, compat: .legacy)
        let id = try node.cacheID(
            #"{"cache_desc":\#(desc(1, [2, 8])),"cache_keys":[{"prompt_cluster_id":0,"req_id":1}]}"#
        )
        #expect(call(node.api, "PUT", "/v1/role", body: #"{"role":"DECODER"}"#).status == 200)
        let r = call(node.api, "DELETE", "/v1/cache/keys?req_id=1")
        #expect(r.status == 400)
        #expect(r.errorStatus == "LLM_PARAM_INVALID")
        #expect(r.errorMessage?.contains("DECODER") == true, "\(r.text)")
        // The gate applies before the lookup: an unknown key is refused the same way.
        #expect(call(node.api, "DELETE", "/v1/cache/keys?req_id=77").errorStatus == "LLM_PARAM_INVALID")
        #expect(call(node.api, "GET", "/v1/cache/\(id)").json?["cache_keys"]?.arrayValue?.count == 1)
        #expect(call(node.api, "PUT", "/v1/role", body: #"{"role":"MIX"}"#).status == 200)
        #expect(call(node.api, "DELETE", "/v1/cache/keys?req_id=1").status == 200)
        #expect(call(node.api, "GET", "/v1/cache/\(id)").json?["cache_keys"]?.arrayValue?.count == 0)
    }
}
