import Testing

@testable import DataDistModel

/// cache_key, cache_key_by_id, blocks_cache_key: decoding, identity, placeholders, pull validity.
@Suite struct CacheKeyTests {
    private let maxID = JSONValue(UInt64.max)

    @Test func decodesCacheKeysWithDefaults() throws {
        let k = try CacheKey.decode(["prompt_cluster_id": 0, "req_id": 7])
        #expect(k == CacheKey(promptClusterID: 0, reqID: 7, modelID: 0, prefixID: UInt64.max))
        let big = try CacheKey.decode([
            "prompt_cluster_id": .uint(9_223_372_036_854_775_813), "req_id": 1, "model_id": 3,
        ])
        #expect(big.promptClusterID == 9_223_372_036_854_775_813)
        #expect(big.modelID == 3)
        #expect(outcome { try CacheKey.decode(big.json) } == .success(big))
    }

    @Test func cacheKeyErrors() {
        #expect(outcome { try CacheKey.decode("x") }.failureStatus == .TYPE_ERROR)
        #expect(outcome { try CacheKey.decode(["prompt_cluster_id": 0, "req_id": "7"]) }.failureStatus == .TYPE_ERROR)
        #expect(outcome { try CacheKey.decode(["prompt_cluster_id": 0, "req_id": 1.5]) }.failureStatus == .TYPE_ERROR)
        #expect(outcome { try CacheKey.decode(["prompt_cluster_id": 0, "req_id": -1]) }.failureStatus == .VALUE_ERROR)
        #expect(
            outcome { try CacheKey.decode(["prompt_cluster_id": 0, "req_id": 1e30]) }.failureStatus == .VALUE_ERROR
        )
        #expect(outcome { try CacheKey.decode(["prompt_cluster_id": 0]) }.failureStatus == .LLM_PARAM_INVALID)
        #expect(outcome { try CacheKey.decode(["req_id": 1]) }.failureStatus == .LLM_PARAM_INVALID)
        #expect(
            outcome { try CacheKey.decode(["prompt_cluster_id": 0, "req_id": 1, "x": 1]) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try CacheKey.decode(["prompt_cluster_id": 0, "req_id": 1, "model_id": nil]) }.failureStatus == nil
        )
    }

    @Test func identityAndPlaceholders() {
        let req = CacheKey(promptClusterID: 9, reqID: 5, modelID: 2)
        #expect(req.identity == .request(5, modelID: 2))
        #expect(!req.identity.isPrefix)
        // The cluster id is not part of the identity.
        #expect(CacheKey(promptClusterID: 0, reqID: 5, modelID: 2).identity == req.identity)
        let prefix = CacheKey(promptClusterID: 9, reqID: 5, modelID: 2, prefixID: 11)
        #expect(prefix.identity == .prefix(11, modelID: 2))
        #expect(prefix.identity != .request(11, modelID: 2))
        #expect(CacheKey(promptClusterID: 0, reqID: UInt64.max).isPlaceholder)
        #expect(!CacheKey(promptClusterID: 0, reqID: UInt64.max, prefixID: 3).isPlaceholder)
        #expect(!req.isPlaceholder)
    }

    @Test func pullValidityNeedsExactlyOneValidID() {
        #expect(outcome { try CacheKey(promptClusterID: 0, reqID: 1).validateForPull() }.failureStatus == nil)
        #expect(
            outcome { try CacheKey(promptClusterID: 0, reqID: UInt64.max, prefixID: 2).validateForPull() }.failureStatus
                == nil
        )
        #expect(
            outcome { try CacheKey(promptClusterID: 0, reqID: UInt64.max).validateForPull() }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try CacheKey(promptClusterID: 0, reqID: 1, prefixID: 2).validateForPull() }.failureStatus
                == .LLM_PARAM_INVALID
        )
    }

    @Test func cacheKeyByID() throws {
        let k = try CacheKeyByID.decode(["cluster_id": 1, "cache_id": 4])
        #expect(k == CacheKeyByID(clusterID: 1, cacheID: 4, batchIndex: 0))
        #expect(outcome { try CacheKeyByID.decode(k.json) } == .success(k))
        #expect(
            outcome { try CacheKeyByID.decode(["cluster_id": 1, "cache_id": 4, "batch_index": 3]) }.map(\.batchIndex)
                == .success(3)
        )
        #expect(
            outcome { try CacheKeyByID.decode(["cluster_id": 1, "cache_id": 4, "batch_index": -1]) }.failureStatus
                == .VALUE_ERROR
        )
        #expect(
            outcome { try CacheKeyByID.decode(["cluster_id": 1, "cache_id": 4, "batch_index": 4_294_967_296]) }
                .failureStatus
                == .VALUE_ERROR
        )
        #expect(outcome { try CacheKeyByID.decode(["cluster_id": 1, "cache_id": "4"]) }.failureStatus == .TYPE_ERROR)
        #expect(
            outcome { try CacheKeyByID.decode(["cluster_id": 1, "cache_id": .uint(1 << 63)]) }.failureStatus
                == .VALUE_ERROR
        )
        #expect(outcome { try CacheKeyByID.decode(["cluster_id": 1]) }.failureStatus == .LLM_PARAM_INVALID)
        #expect(outcome { try CacheKeyByID.decode(["cache_id": 1]) }.failureStatus == .LLM_PARAM_INVALID)
        #expect(
            outcome { try CacheKeyByID.decode(["cluster_id": 1, "cache_id": 1, "req_id": 1]) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(outcome { try CacheKeyByID.decode([]) }.failureStatus == .TYPE_ERROR)
    }

    @Test func blocksCacheKey() throws {
        let k = try BlocksCacheKey.decode(["prompt_cluster_id": 0, "model_id": 3])
        #expect(k == BlocksCacheKey(promptClusterID: 0, modelID: 3))
        #expect(outcome { try BlocksCacheKey.decode(k.json) } == .success(k))
        #expect(outcome { try BlocksCacheKey.decode(["prompt_cluster_id": 0]) }.map(\.modelID) == .success(0))
        #expect(outcome { try BlocksCacheKey.decode(["model_id": 0]) }.failureStatus == .LLM_PARAM_INVALID)
        #expect(
            outcome { try BlocksCacheKey.decode(["prompt_cluster_id": 0, "req_id": 0]) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try BlocksCacheKey.decode(["prompt_cluster_id": 0, "model_id": -3]) }.failureStatus
                == .VALUE_ERROR
        )
        #expect(outcome { try BlocksCacheKey.decode(["prompt_cluster_id": true]) }.failureStatus == .TYPE_ERROR)
    }

    @Test func removeKeyQuery() {
        #expect(
            outcome { try KeyIdentity.parseQuery([("req_id", "5"), ("model_id", "2")]) }
                == .success(.request(5, modelID: 2))
        )
        #expect(outcome { try KeyIdentity.parseQuery([("prefix_id", "7")]) } == .success(.prefix(7)))
        #expect(outcome { try KeyIdentity.parseQuery([("req_id", "5"), ("prefix_id", "7")]) } == .success(.prefix(7)))
        #expect(
            outcome { try KeyIdentity.parseQuery([("req_id", "18446744073709551615")]) }
                == .success(.request(UInt64.max))
        )
        #expect(outcome { try KeyIdentity.parseQuery([("model_id", "1")]) }.failureStatus == .LLM_PARAM_INVALID)
        #expect(
            outcome { try KeyIdentity.parseQuery([("req_id", "1"), ("x", "1")]) }.failureStatus == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try KeyIdentity.parseQuery([("req_id", "1"), ("req_id", "2")]) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(outcome { try KeyIdentity.parseQuery([("req_id", "-1")]) }.failureStatus == .VALUE_ERROR)
        #expect(outcome { try KeyIdentity.parseQuery([("req_id", "+1")]) }.failureStatus == .VALUE_ERROR)
        #expect(
            outcome { try KeyIdentity.parseQuery([("req_id", "18446744073709551616")]) }.failureStatus == .VALUE_ERROR
        )
    }
}
