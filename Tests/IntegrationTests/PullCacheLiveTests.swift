import DataDistModel
import Testing

/// `pull_cache` between real nodes (CONTRACT §6): bytes end to end, key consumption, layer ranges, size.
@Suite struct PullCacheLiveTests {
    /// A linked prompt 0 / decoder 1 pair.
    static func pair() throws -> (LiveNode, LiveNode) {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        let r = try #require(d.link([(0, p.peerAddress)]))
        #expect(r.status == 200, "\(r.text)")
        return (p, d)
    }

    /// Writes seeded random bytes to every tensor of cache `id` on `node`; returns them per tensor.
    static func fill(_ node: LiveNode, _ id: Int64, tensors: Int, bytes: Int, seed: UInt64) -> [[UInt8]] {
        (0..<tensors).map { t in
            let data = seededBytes(bytes, seed: seed &+ UInt64(t))
            #expect(node.writeTensor(id, t, data) == 200)
            return data
        }
    }

    @Test func requestKeyIsConsumedPrefixAndByIDKeysAreNot() throws {
        let (p, d) = try Self.pair()
        // 4 tensors of 2 slots × 1024 bytes; slot 0 ↔ req 10, slot 1 ↔ req 11.
        let src = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(4, [2, 1024])),"cache_keys":[\#(requestKey(0, 10)),\#(requestKey(0, 11))]}"#
        )
        let data = Self.fill(p, src, tensors: 4, bytes: 2048, seed: 1)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [3, 1024]))}"#)

        let pulled = try #require(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 11)),"batch_index":2}"#)
        )
        #expect(pulled.status == 200, "\(pulled.text)")
        #expect(pulled.status_ == "LLM_SUCCESS")
        #expect(pulled.json?.objectValue?["bytes"]?.int64Value == Int64(4 * 1024))
        #expect(pulled.json?.objectValue?["duration_ms"]?.doubleValue != nil)
        for t in 0..<4 {
            let got = try #require(d.readTensor(dst, t))
            #expect(byteMismatch(Array(got[2048..<3072]), Array(data[t][1024..<2048])) == nil, "tensor \(t) slot 2")
            #expect(got[0..<2048].allSatisfy { $0 == 0 }, "tensor \(t): slots 0 and 1 untouched")
        }
        // Consumed: a second pull of the same key finds nothing.
        let again = try #require(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 11))}"#))
        #expect(again.status == 404, "\(again.text)")
        #expect(again.status_ == "LLM_KV_CACHE_NOT_EXIST")
        #expect(again.code == 0x5010_B002)

        // By id: slot 0 (still bound to req 10) is pulled twice without consuming req 10.
        let byID = #"{"cache_key_by_id":{"cluster_id":0,"cache_id":\#(src),"batch_index":0},"batch_index":1}"#
        #expect(d.post("/v1/cache/\(dst)/pull", byID)?.status == 200)
        #expect(d.post("/v1/cache/\(dst)/pull", byID)?.status == 200)
        for t in 0..<4 {
            #expect(
                byteMismatch(d.readTensor(dst, t, query: "batch_index=1"), Array(data[t][0..<1024])) == nil,
                "tensor \(t) slot 1"
            )
        }
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 10)),"batch_index":0}"#)?.status == 200)
        for t in 0..<4 {
            #expect(byteMismatch(d.readTensor(dst, t, query: "batch_index=0"), Array(data[t][0..<1024])) == nil)
        }
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 10))}"#)?.status == 404)

        // Prefix key: pulled twice, never consumed.
        let prefixSrc = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(4, [1, 1024])),"cache_keys":[\#(prefixKey(0, 7))]}"#
        )
        let prefixData = Self.fill(p, prefixSrc, tensors: 4, bytes: 1024, seed: 50)
        for slot in [0, 2] {
            let r = try #require(
                d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(prefixKey(0, 7)),"batch_index":\#(slot)}"#)
            )
            #expect(r.status == 200, "\(r.text)")
            for t in 0..<4 {
                #expect(byteMismatch(d.readTensor(dst, t, query: "batch_index=\(slot)"), prefixData[t]) == nil)
            }
        }
        // Nothing leaks: ids released, the prefix key removed.
        #expect(p.deallocate(src) == 200)
        #expect(p.deallocate(prefixSrc) == 200)
        #expect(p.request("DELETE", "/v1/cache/keys?prefix_id=7&model_id=0")?.status == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }

    @Test func releasedCacheStaysPullableByItsKeyAndIsFreedByTheLastPull() throws {
        let (p, d) = try Self.pair()
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 4096])),"cache_keys":[\#(requestKey(0, 5))]}"#)
        let data = Self.fill(p, src, tensors: 2, bytes: 4096, seed: 9)
        #expect(p.deallocate(src) == 200)
        #expect(p.poolsUsed?.contains { $0 > 0 } == true, "the key keeps the cache alive")
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 4096]))}"#)
        let r = try #require(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 5))}"#))
        #expect(r.status == 200, "\(r.text)")
        for t in 0..<2 { #expect(byteMismatch(d.readTensor(dst, t), data[t]) == nil) }
        // The pull consumed the last key of a released cache: its memory is back in the pool.
        #expect(p.poolsDrain())
        #expect(p.cacheIDs.isEmpty)
        #expect(d.deallocate(dst) == 200)
        #expect(d.poolsDrain())
    }

    @Test func layerRangesMoveOnlyTheirTensors() throws {
        let (p, d) = try Self.pair()
        // 8 tensors = 4 layers of K, V.
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(8, [1, 512])),"cache_keys":[\#(requestKey(0, 20))]}"#)
        let data = Self.fill(p, src, tensors: 8, bytes: 512, seed: 100)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(8, [1, 512]))}"#)
        let ranged =
            #"{"cache_key":\#(requestKey(0, 20)),"src_layer_range":[1,3],"dst_layer_range":[0,2],"tensor_num_per_layer":2}"#
        let r = try #require(d.post("/v1/cache/\(dst)/pull", ranged))
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json?.objectValue?["bytes"]?.int64Value == Int64(4 * 512))
        for t in 0..<4 {
            #expect(byteMismatch(d.readTensor(dst, t), data[t + 2]) == nil, "dst tensor \(t) = src tensor \(t + 2)")
        }
        for t in 4..<8 { #expect(d.readTensor(dst, t)?.allSatisfy { $0 == 0 } == true, "dst tensor \(t) untouched") }

        // Mismatched range lengths are refused before anything moves.
        let mismatched = #"{"cache_key":\#(requestKey(0, 20)),"src_layer_range":[0,2],"dst_layer_range":[2,3]}"#
        let bad = try #require(d.post("/v1/cache/\(dst)/pull", mismatched))
        #expect(bad.status == 400, "\(bad.text)")
        #expect(bad.status_ == "LLM_PARAM_INVALID")
        #expect(d.readTensor(dst, 4)?.allSatisfy { $0 == 0 } == true)
        // A range beyond the layers.
        let beyond = #"{"cache_key":\#(requestKey(0, 20)),"src_layer_range":[3,5],"dst_layer_range":[0,2]}"#
        #expect(d.post("/v1/cache/\(dst)/pull", beyond)?.status_ == "LLM_PARAM_INVALID")

        // Layer by layer: the key stays until every tensor of it has been pulled.
        let rest = #"{"cache_key":\#(requestKey(0, 20)),"src_layer_range":[0,1],"dst_layer_range":[2,3]}"#
        #expect(d.post("/v1/cache/\(dst)/pull", rest)?.status == 200)
        let last = #"{"cache_key":\#(requestKey(0, 20)),"src_layer_range":[3,4],"dst_layer_range":[3,4]}"#
        #expect(d.post("/v1/cache/\(dst)/pull", last)?.status == 200)
        #expect(byteMismatch(d.readTensor(dst, 4), data[0]) == nil)
        #expect(byteMismatch(d.readTensor(dst, 5), data[1]) == nil)
        #expect(byteMismatch(d.readTensor(dst, 6), data[6]) == nil)
        #expect(byteMismatch(d.readTensor(dst, 7), data[7]) == nil)
        #expect(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 20))}"#)?.status_
                == "LLM_KV_CACHE_NOT_EXIST"
        )

        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }

    @Test func sizeSmallerThanTheStrideMovesExactlyThatMany() throws {
        let (p, d) = try Self.pair()
        let src = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(2, [2, 1000])),"cache_keys":[\#(requestKey(0, 1)),\#(requestKey(0, 2))]}"#
        )
        let data = Self.fill(p, src, tensors: 2, bytes: 2000, seed: 77)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [2, 1000]))}"#)
        let r = try #require(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 2)),"batch_index":1,"size":333}"#)
        )
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json?.objectValue?["bytes"]?.int64Value == Int64(2 * 333))
        for t in 0..<2 {
            let got = try #require(d.readTensor(dst, t))
            #expect(byteMismatch(Array(got[1000..<1333]), Array(data[t][1000..<1333])) == nil)
            #expect(got[1333..<2000].allSatisfy { $0 == 0 }, "tensor \(t): bytes past size untouched")
            #expect(got[0..<1000].allSatisfy { $0 == 0 }, "tensor \(t): slot 0 untouched")
        }
        // size 0, negative (other than -1) and over the stride are refused.
        for size in [0, -2, 1001] {
            let bad = try #require(
                d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"size":\#(size)}"#)
            )
            #expect(bad.status == 400, "size \(size): \(bad.text)")
            #expect(bad.status_ == "LLM_PARAM_INVALID", "size \(size)")
        }
        // The refused pulls did not consume req 1.
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#)?.status == 200)
        for t in 0..<2 {
            #expect(byteMismatch(d.readTensor(dst, t, query: "batch_index=0"), Array(data[t][0..<1000])) == nil)
        }
        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }
}
