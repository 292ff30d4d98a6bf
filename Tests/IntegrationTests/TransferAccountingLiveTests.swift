import DataDistModel
import Testing

/// What transfers leave behind (CONTRACT §5 link counters, §7 metrics, §8 no leaked pool memory).
@Suite struct TransferAccountingLiveTests {
    @Test func countersAndMetricsGrowByTheBytesMoved() throws {
        let (p, d) = try PullCacheLiveTests.pair()
        let src = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(4, [2, 3000])),"cache_keys":[\#(requestKey(0, 1)),\#(requestKey(0, 2))]}"#
        )
        _ = PullCacheLiveTests.fill(p, src, tensors: 4, bytes: 6000, seed: 7000)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [2, 3000]))}"#)
        let pulledBefore = try #require(d.transferBytesMetric("pull"))
        let servedBefore = try #require(p.transferBytesMetric("served"))
        #expect(d.linkCounters(0)?.pulled == 0)
        #expect(p.linkCounters(1)?.pushed == 0)

        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#)?.status == 200)
        #expect(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 2)),"batch_index":1,"size":1000}"#)?.status
                == 200
        )
        let moved = UInt64(4 * 3000 + 4 * 1000)
        #expect(d.linkCounters(0)?.pulled == moved)
        #expect(d.transferBytesMetric("pull") == pulledBefore + moved)
        // The owner counts what it served once the response is fully written (it may trail the answer).
        #expect(eventually { p.linkCounters(1)?.pushed == moved })
        #expect(eventually { p.transferBytesMetric("served") == servedBefore + moved })

        // A push counts on both ends too.
        let pushBefore = try #require(d.transferBytesMetric("push"))
        #expect(
            d.post(
                "/v1/cache/\(dst)/push",
                #"{"dst_cache_key_by_id":{"cluster_id":0,"cache_id":\#(src),"batch_index":1}}"#
            )?.status == 200
        )
        #expect(d.linkCounters(0)?.pushed == UInt64(4 * 3000))
        #expect(d.transferBytesMetric("push") == pushBefore + UInt64(4 * 3000))
        #expect(p.linkCounters(1)?.pulled == UInt64(4 * 3000))

        // A failed pull moves no counter but counts as a failure.
        let failuresBefore = try #require(d.metric(#"datadist_transfer_failures_total{kind="pull"}"#))
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#)?.status == 404)
        #expect(d.linkCounters(0)?.pulled == moved)
        #expect(d.metric(#"datadist_transfer_failures_total{kind="pull"}"#) == failuresBefore + 1)

        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }

    @Test func poolsReturnToZeroAfterFailedAndSuccessfulTransfers() throws {
        let (p, d) = try PullCacheLiveTests.pair()
        #expect(p.poolsUsed?.allSatisfy { $0 == 0 } == true)
        let keys = (1...3).map { requestKey(0, UInt64($0)) }.joined(separator: ",")
        // Slots of 16 MiB: more than the socket buffers hold, so a 1 ms pull cannot finish by luck.
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [3, 8 << 20])),"cache_keys":[\#(keys)]}"#)
        let blocks = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(2, [4, 4096])),"blocks":true,"blocks_cache_key":{"prompt_cluster_id":0}}"#
        )
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [3, 8 << 20]))}"#)
        let dBlocks = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [4, 4096])),"blocks":true}"#)
        #expect(p.poolsUsed?.contains { $0 > 0 } == true)
        // /v1/node and /metrics tell the same usage as /v1/cache.
        let node = try #require(p.request("GET", "/v1/node")?.json?.objectValue)
        #expect(node["cache_count"]?.int64Value == 2)
        let nodeUsed = node["pools"]?.arrayValue?.map { $0.objectValue?["used"]?.int64Value ?? -1 }
        #expect(nodeUsed == p.poolsUsed)
        #expect(p.metric("datadist_caches") == 2)
        #expect(
            p.metric(#"datadist_pool_used_bytes{placement="HOST",device_id="0"}"#).map { Int64($0) }
                == p.poolsUsed?.last
        )
        // Failures of every kind: local refusal, owner refusal, timeout, absent key.
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"batch_index":9}"#)?.status == 400)
        #expect(
            d.post(
                "/v1/cache/\(dst)/pull",
                #"{"cache_key":\#(requestKey(0, 1)),"src_layer_range":[0,1],"tensor_num_per_layer":1}"#
            )?.status == 400
        )
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":1}"#)?.status == 504)
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 9))}"#)?.status == 404)
        #expect(
            d.post(
                "/v1/cache/\(dBlocks)/pull_blocks",
                #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[7],"dst_blocks":[0]}"#
            )?.status == 400
        )
        #expect(
            d.post(
                "/v1/cache/\(dBlocks)/push_blocks",
                #"{"dst_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[0],"dst_blocks":[9]}"#
            )?.status == 400
        )
        // Successes: one key consumed, one blocks pull, one push.
        #expect(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 2)),"timeout_ms":20000}"#)?.status == 200
        )
        #expect(
            d.post(
                "/v1/cache/\(dBlocks)/pull_blocks",
                #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[3],"dst_blocks":[0]}"#
            )?.status == 200
        )
        #expect(
            d.post(
                "/v1/cache/\(dBlocks)/push_blocks",
                #"{"dst_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[0],"dst_blocks":[1]}"#
            )?.status == 200
        )

        // Release the ids: the prompt's cache lives on while keys 1 and 3 are bound.
        #expect(p.deallocate(src) == 200)
        #expect(p.deallocate(blocks) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(d.deallocate(dBlocks) == 200)
        #expect(d.poolsDrain())
        #expect(p.poolsUsed?.contains { $0 > 0 } == true, "keys 1 and 3 keep the prompt cache")
        #expect(p.request("DELETE", "/v1/cache/keys?req_id=1&model_id=0")?.status == 200)
        #expect(p.poolsUsed?.contains { $0 > 0 } == true, "key 3 still keeps it")
        #expect(p.request("DELETE", "/v1/cache/keys?req_id=3")?.status == 200)
        #expect(p.poolsDrain())
        #expect(p.cacheIDs.isEmpty)
        #expect(p.request("GET", "/v1/node")?.json?.objectValue?["cache_count"]?.int64Value == 0)
        #expect(p.metric(#"datadist_pool_used_bytes{placement="HOST",device_id="0"}"#) == 0)
    }
}

extension LiveNode {
    /// The value of one `/metrics` sample line (`name{labels}`), nil when absent.
    func metric(_ series: String) -> UInt64? {
        guard let text = request("GET", "/metrics")?.text else { return nil }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(series + " ") }) else { return nil }
        return UInt64(line.dropFirst(series.count + 1))
    }
}
