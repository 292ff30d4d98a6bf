import DataDistModel
import HTTPCore
import Testing

@testable import DataDistNode

/// `POST /v1/cache` (CONTRACT §6): answer shape, body errors, pool exhaustion, cache ids.
@Suite struct CacheAllocateTests {
    @Test func allocateAnswersShapeForCacheAndBlocks() throws {
        let node = CacheNode()
        let cache = node.allocate(#"{"cache_desc":\#(desc(2, [4, 8], "DT_FLOAT16"))}"#)
        #expect(cache.status == 201)
        #expect(cache.headers["Content-Type"] == "application/json")
        #expect(
            cache.text
                == #"{"cache_id":1,"tensor_size":64,"batch_size":4,"stride":16,"#
                + #""memory":{"shm_path":null,"tensors":[{"offset":0,"size":64},{"offset":1024,"size":64}]}}"#
        )
        let blocks = node.allocate(#"{"cache_desc":\#(desc(3, [8, 2, 2], "DT_FLOAT")),"blocks":true}"#)
        #expect(blocks.status == 201)
        #expect(
            blocks.text
                == #"{"cache_id":2,"tensor_size":128,"num_blocks":8,"stride":16,"memory":{"shm_path":null,"#
                + #""tensors":[{"offset":2048,"size":128},{"offset":3072,"size":128},{"offset":4096,"size":128}]}}"#
        )
        // Defaults: placement DEVICE, seq_len_dim_index -1; any letter case of names.
        let lower = node.allocate(#"{"cache_desc":{"num_tensors":1,"shape":[2],"data_type":"dt_int64"}}"#)
        #expect(
            lower.text
                == #"{"cache_id":3,"tensor_size":16,"batch_size":2,"stride":8,"#
                + #""memory":{"shm_path":null,"tensors":[{"offset":5120,"size":16}]}}"#
        )
        let listed = call(node.api, "GET", "/v1/cache/3").json?["cache_desc"]
        #expect(
            listed?.serialized
                == #"{"num_tensors":1,"shape":[2],"data_type":"DT_INT64","placement":"DEVICE","seq_len_dim_index":-1}"#
        )
    }

    @Test(arguments: [
        (#"{"cache_desc":{"num_tensors":0,"shape":[4,8],"data_type":"DT_UINT8"}}"#, "LLM_PARAM_INVALID"),
        (#"{"cache_desc":{"num_tensors":2,"shape":[4,0],"data_type":"DT_UINT8"}}"#, "LLM_PARAM_INVALID"),
        (#"{"cache_desc":{"num_tensors":2,"shape":[-4,8],"data_type":"DT_UINT8"}}"#, "LLM_PARAM_INVALID"),
        (#"{"cache_desc":{"num_tensors":2,"shape":[],"data_type":"DT_UINT8"}}"#, "LLM_PARAM_INVALID"),
        (#"{"cache_desc":\#(desc(1, Array(repeating: 1, count: 32)))}"#, "LLM_PARAM_INVALID"),
        (
            #"{"cache_desc":{"num_tensors":2,"shape":[4],"data_type":"DT_UINT8","seq_len_dim_index":1}}"#,
            "LLM_PARAM_INVALID"
        ),
        (#"{"cache_desc":{"num_tensors":2,"shape":[4],"data_type":"DT_UINT8","extra":1}}"#, "LLM_PARAM_INVALID"),
        (#"{"cache_desc":\#(desc(1, [4])),"other":1}"#, "LLM_PARAM_INVALID"),
        (#"{"cache_desc":{"num_tensors":"2","shape":[4],"data_type":"DT_UINT8"}}"#, "TYPE_ERROR"),
        (#"{"cache_desc":{"num_tensors":2.5,"shape":[4],"data_type":"DT_UINT8"}}"#, "TYPE_ERROR"),
        (#"{"cache_desc":{"num_tensors":2,"shape":4,"data_type":"DT_UINT8"}}"#, "TYPE_ERROR"),
        (#"{"cache_desc":{"num_tensors":2,"shape":[4,"8"],"data_type":"DT_UINT8"}}"#, "TYPE_ERROR"),
        (#"{"cache_desc":{"num_tensors":2,"shape":[4],"data_type":7}}"#, "TYPE_ERROR"),
        (#"{"cache_desc":{"num_tensors":2,"shape":[4],"data_type":"DT_UINT8","placement":1}}"#, "TYPE_ERROR"),
        (#"{"cache_desc":{"shape":[4],"data_type":"DT_UINT8"}}"#, "TYPE_ERROR"),
        (#"{"cache_desc":[]}"#, "TYPE_ERROR"),
        (#"{}"#, "TYPE_ERROR"),
        (#"[]"#, "TYPE_ERROR"),
        (#"not json"#, "TYPE_ERROR"),
        (#"{"cache_desc":\#(desc(1, [4])),"blocks":"yes"}"#, "TYPE_ERROR"),
        (#"{"cache_desc":\#(desc(1, [4])),"cache_keys":{}}"#, "TYPE_ERROR"),
        (#"{"cache_desc":\#(desc(1, [4])),"cache_keys":[{"prompt_cluster_id":0,"req_id":"1"}]}"#, "TYPE_ERROR"),
        (#"{"cache_desc":{"num_tensors":2,"shape":[4],"data_type":"DT_FLOAT128"}}"#, "VALUE_ERROR"),
        (#"{"cache_desc":{"num_tensors":2,"shape":[4],"data_type":"DT_UINT8","placement":"GPU"}}"#, "VALUE_ERROR"),
        (#"{"cache_desc":{"num_tensors":-1,"shape":[4],"data_type":"DT_UINT8"}}"#, "VALUE_ERROR"),
        (#"{"cache_desc":{"num_tensors":4294967296,"shape":[4],"data_type":"DT_UINT8"}}"#, "VALUE_ERROR"),
        (#"{"cache_desc":\#(desc(1, [4])),"cache_keys":[{"prompt_cluster_id":0,"req_id":-1}]}"#, "VALUE_ERROR"),
    ])
    func rejectedAllocationAnswersItsStatusAndKeepsNothing(body: String, status: String) {
        let node = CacheNode()
        let r = node.allocate(body)
        #expect(r.status == 400, "\(body) → \(r.text)")
        #expect(r.errorStatus == status, "\(body) → \(r.text)")
        let code: JSONValue = status.hasPrefix("LLM_") ? .int(APIStatus(rawValue: status)!.code) : .int(-1)
        #expect(r.json?["error"]?["code"] == code)
        #expect(r.errorMessage?.isEmpty == false)
        #expect(node.listedIDs().isEmpty)
        #expect(node.used("DEVICE") == 0)
        #expect(node.used("HOST") == 0)
    }

    @Test func exhaustedPoolAnswers507AndKeepsUsage() throws {
        // 64 pages of 1 KiB: 48 pages taken, then 32 more cannot fit.
        let node = CacheNode(devicePool: 64 << 10)
        _ = try node.cacheID(#"{"cache_desc":\#(desc(3, [16, 1024]))}"#)
        #expect(node.used("DEVICE") == 48 << 10)
        let r = node.allocate(#"{"cache_desc":\#(desc(2, [16, 1024]))}"#)
        #expect(r.status == 507)
        #expect(r.errorStatus == "LLM_OUT_OF_MEMORY")
        #expect(r.json?["error"]?["code"] == .int(APIStatus.LLM_OUT_OF_MEMORY.code))
        #expect(r.errorMessage?.contains("DEVICE") == true, "\(r.text)")
        #expect(node.used("DEVICE") == 48 << 10)
        #expect(node.used("HOST") == 0)
        #expect(node.listedIDs() == [1])
        // The same cache fits the HOST pool (32 KiB), and what is left of DEVICE still serves.
        let host = node.allocate(#"{"cache_desc":\#(desc(2, [16, 1024], placement: "HOST"))}"#)
        #expect(host.status == 201, "\(host.text)")
        #expect(node.used("HOST") == 32 << 10)
        let small = node.allocate(#"{"cache_desc":\#(desc(16, [1, 1024]))}"#)
        #expect(small.status == 201, "\(small.text)")
        #expect(node.used("DEVICE") == 64 << 10)
    }

    @Test func exhaustedPoolOnOneDeviceKeepsNothingOnTheOthers() throws {
        let node = CacheNode(devicePool: 8 << 10, devices: [0, 5])
        let r = node.allocate(#"{"cache_desc":\#(desc(9, [1, 1024]))}"#)
        #expect(r.status == 507)
        #expect(node.used("DEVICE", device: 0) == 0)
        #expect(node.used("DEVICE", device: 5) == 0)
        _ = try node.cacheID(#"{"cache_desc":\#(desc(8, [1, 1024]))}"#)
        #expect(node.used("DEVICE", device: 0) == 8 << 10)
        #expect(node.used("DEVICE", device: 5) == 8 << 10)
    }

    @Test func cacheIdsStartAtOneIncreaseAndAreNeverReused() throws {
        let node = CacheNode(devicePool: 8 << 10)
        let first = try node.cacheID(#"{"cache_desc":\#(desc(1, [1, 1024]))}"#)
        #expect(first == 1)
        var seen: [Int64] = [first]
        // Failures of every kind in between: memory, body, keys.
        #expect(node.allocate(#"{"cache_desc":\#(desc(9, [1, 1024]))}"#).status == 507)
        #expect(node.allocate(#"{"cache_desc":\#(desc(0, [1]))}"#).status == 400)
        #expect(node.allocate(#"{"cache_desc":\#(desc(1, [1])),"cache_keys":[{},{}]}"#).status == 400)
        #expect(call(node.api, "DELETE", "/v1/cache/\(first)").status == 200)
        for _ in 0..<3 {
            let id = try node.cacheID(#"{"cache_desc":\#(desc(1, [1, 1024]))}"#)
            #expect(id > seen.last!, "ids \(seen) then \(id)")
            seen.append(id)
            #expect(call(node.api, "DELETE", "/v1/cache/\(id)").status == 200)
        }
        #expect(Set(seen).count == seen.count)
        #expect(node.used("DEVICE") == 0)
    }
}
