import DataDistModel
import HTTPCore
import Testing

@testable import DataDistNode

/// Binding `cache_keys` and `blocks_cache_key` at allocation, with the role gates (CONTRACT §4, §6).
@Suite struct CacheKeyBindingTests {
    static let placeholder = "18446744073709551615"

    @Test func keysBindTheirSlotsAndPlaceholdersSkipThem() throws {
        let node = CacheNode()
        let id = try node.cacheID(
            #"""
            {"cache_desc":\#(desc(2, [4, 8])),"cache_keys":[
              {"prompt_cluster_id":9,"req_id":\#(Self.placeholder)},
              {"prompt_cluster_id":9,"req_id":5,"model_id":2},
              {"prompt_cluster_id":9,"req_id":\#(Self.placeholder)},
              {"prompt_cluster_id":9,"req_id":6,"prefix_id":40}]}
            """#
        )
        let keys = call(node.api, "GET", "/v1/cache/\(id)").json?["cache_keys"]
        #expect(
            keys?.serialized
                == #"[{"prompt_cluster_id":9,"req_id":5,"model_id":2,"prefix_id":18446744073709551615,"batch_index":1},"#
                + #"{"prompt_cluster_id":9,"req_id":6,"model_id":0,"prefix_id":40,"batch_index":3}]"#
        )
        #expect(node.core.state.withLock { $0.caches.boundKeyCount } == 2)
        // The prefix key's identity is its prefix id: req 6 is free to bind elsewhere, prefix 40 is not.
        #expect(
            node.allocate(#"{"cache_desc":\#(desc(1, [1])),"cache_keys":[{"prompt_cluster_id":0,"req_id":6}]}"#)
                .status == 201
        )
        let again = node.allocate(
            #"{"cache_desc":\#(desc(1, [1])),"cache_keys":[{"prompt_cluster_id":0,"req_id":1,"prefix_id":40}]}"#
        )
        #expect(again.errorStatus == "LLM_PARAM_INVALID", "\(again.text)")
    }

    @Test func moreKeysThanSlotsIsParamInvalid() {
        let node = CacheNode()
        let r = node.allocate(
            #"""
            {"cache_desc":\#(desc(1, [2, 8])),"cache_keys":[
              {"prompt_cluster_id":0,"req_id":1},{"prompt_cluster_id":0,"req_id":2},{"prompt_cluster_id":0,"req_id":3}]}
            """#
        )
        #expect(r.status == 400)
        #expect(r.errorStatus == "LLM_PARAM_INVALID")
        #expect(r.errorMessage?.contains("3 cache_keys") == true, "\(r.text)")
        #expect(node.listedIDs().isEmpty)
        #expect(node.core.state.withLock { $0.caches.boundKeyCount } == 0)
    }

    @Test func duplicateKeyInTheCallIsParamInvalid() {
        let node = CacheNode()
        // The cluster id names where to pull from; the identity is (req_id, model_id).
        let r = node.allocate(
            #"""
            {"cache_desc":\#(desc(1, [2, 8])),"cache_keys":[
              {"prompt_cluster_id":0,"req_id":1},{"prompt_cluster_id":7,"req_id":1}]}
            """#
        )
        #expect(r.status == 400)
        #expect(r.errorStatus == "LLM_PARAM_INVALID")
        #expect(r.errorMessage?.contains("twice") == true, "\(r.text)")
        #expect(node.used("DEVICE") == 0)
        // Same req_id under another model id is another key; two placeholders are no duplicate.
        let ok = node.allocate(
            #"""
            {"cache_desc":\#(desc(1, [4, 8])),"cache_keys":[
              {"prompt_cluster_id":0,"req_id":1},{"prompt_cluster_id":0,"req_id":1,"model_id":1},
              {"prompt_cluster_id":0,"req_id":\#(Self.placeholder)},{"prompt_cluster_id":0,"req_id":\#(Self.placeholder)}]}
            """#
        )
        #expect(ok.status == 201, "\(ok.text)")
    }

    @Test func keyAlreadyBoundIsParamInvalidAndKeepsNothing() throws {
        let node = CacheNode()
        let first = try node.cacheID(
            #"{"cache_desc":\#(desc(1, [2, 8])),"cache_keys":[{"prompt_cluster_id":0,"req_id":11}]}"#
        )
        let used = node.used("DEVICE")
        let r = node.allocate(
            #"""
            {"cache_desc":\#(desc(1, [2, 8])),"cache_keys":[
              {"prompt_cluster_id":0,"req_id":12},{"prompt_cluster_id":3,"req_id":11}]}
            """#
        )
        #expect(r.status == 400)
        #expect(r.errorStatus == "LLM_PARAM_INVALID")
        #expect(r.errorMessage?.contains("already bound to cache \(first)") == true, "\(r.text)")
        #expect(node.listedIDs() == [first])
        #expect(node.used("DEVICE") == used)
        // req 12 was not bound by the failed call.
        #expect(
            node.allocate(#"{"cache_desc":\#(desc(1, [1])),"cache_keys":[{"prompt_cluster_id":0,"req_id":12}]}"#)
                .status == 201
        )
    }

    @Test func oneBlocksKeyPerModelID() throws {
        let node = CacheNode()
        let first = try node.cacheID(
            #"{"cache_desc":\#(desc(2, [4, 8])),"blocks":true,"blocks_cache_key":{"prompt_cluster_id":0}}"#
        )
        let listed = call(node.api, "GET", "/v1/cache/\(first)").json
        #expect(listed?["kind"] == "blocks")
        #expect(listed?["blocks_cache_key"]?.serialized == #"{"prompt_cluster_id":0,"model_id":0}"#)
        let used = node.used("DEVICE")
        let taken = node.allocate(
            #"{"cache_desc":\#(desc(2, [4, 8])),"blocks":true,"blocks_cache_key":{"prompt_cluster_id":5,"model_id":0}}"#
        )
        #expect(taken.status == 400)
        #expect(taken.errorStatus == "LLM_PARAM_INVALID")
        #expect(taken.errorMessage?.contains("model_id 0") == true, "\(taken.text)")
        #expect(node.used("DEVICE") == used)
        let other = node.allocate(
            #"{"cache_desc":\#(desc(2, [4, 8])),"blocks":true,"blocks_cache_key":{"prompt_cluster_id":0,"model_id":1}}"#
        )
        #expect(other.status == 201, "\(other.text)")
    }

    @Test func keysMustMatchTheCacheKind() {
        let node = CacheNode()
        let keysOnBlocks = node.allocate(
            #"{"cache_desc":\#(desc(1, [2])),"blocks":true,"cache_keys":[{"prompt_cluster_id":0,"req_id":1}]}"#
        )
        #expect(keysOnBlocks.errorStatus == "LLM_PARAM_INVALID")
        let blocksKeyOnCache = node.allocate(
            #"{"cache_desc":\#(desc(1, [2])),"blocks_cache_key":{"prompt_cluster_id":0}}"#
        )
        #expect(blocksKeyOnCache.errorStatus == "LLM_PARAM_INVALID")
        #expect(node.listedIDs().isEmpty)
    }

    @Test func decoderMayNotBindKeys() throws {
        let node = CacheNode(role: .decoder, compat: .legacy)
        let keys = node.allocate(#"{"cache_desc":\#(desc(1, [2])),"cache_keys":[{"prompt_cluster_id":0,"req_id":1}]}"#)
        #expect(keys.status == 400)
        #expect(keys.errorStatus == "LLM_PARAM_INVALID")
        #expect(keys.errorMessage?.contains("DECODER") == true, "\(keys.text)")
        let blocksKey = node.allocate(
            #"{"cache_desc":\#(desc(1, [2])),"blocks":true,"blocks_cache_key":{"prompt_cluster_id":0}}"#
        )
        #expect(blocksKey.errorStatus == "LLM_PARAM_INVALID")
        #expect(blocksKey.errorMessage?.contains("DECODER") == true, "\(blocksKey.text)")
        #expect(node.listedIDs().isEmpty)
        #expect(node.used("DEVICE") == 0)
        // Without keys a decoder allocates; after switching to MIX it may bind keys.
        #expect(node.allocate(#"{"cache_desc":\#(desc(1, [2]))}"#).status == 201)
        #expect(call(node.api, "PUT", "/v1/role", body: #"{"role":"MIX"}"#).status == 200)
        #expect(
            node.allocate(#"{"cache_desc":\#(desc(1, [2])),"cache_keys":[{"prompt_cluster_id":0,"req_id":1}]}"#)
                .status == 201
        )
    }
}
