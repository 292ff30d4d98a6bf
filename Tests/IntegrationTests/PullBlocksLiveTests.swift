import DataDistModel
import Testing

/// `pull_blocks` between real nodes (CONTRACT §6): blocks → blocks, cache → blocks, validation.
@Suite struct PullBlocksLiveTests {
    static let blockSize = 512

    /// Block `b` of a tensor's bytes.
    static func block(_ tensor: [UInt8], _ b: Int) -> [UInt8] { Array(tensor[(b * blockSize)..<((b + 1) * blockSize)]) }

    @Test func blocksToBlocksFollowsShuffledListsAndNeverConsumes() throws {
        let (p, d) = try PullCacheLiveTests.pair()
        let src = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(4, [8, Self.blockSize])),"blocks":true,"blocks_cache_key":{"prompt_cluster_id":0,"model_id":3}}"#
        )
        let data = PullCacheLiveTests.fill(p, src, tensors: 4, bytes: 8 * Self.blockSize, seed: 300)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [6, Self.blockSize])),"blocks":true}"#)
        let srcBlocks = [5, 0, 7, 2]
        let dstBlocks = [1, 4, 0, 3]
        let body =
            #"{"src_blocks_cache_key":{"prompt_cluster_id":0,"model_id":3},"src_blocks":[5,0,7,2],"dst_blocks":[1,4,0,3]}"#
        for _ in 0..<2 {  // twice: a blocks pull never consumes the key
            let r = try #require(d.post("/v1/cache/\(dst)/pull_blocks", body))
            #expect(r.status == 200, "\(r.text)")
            #expect(r.json?.objectValue?["bytes"]?.int64Value == Int64(4 * 4 * Self.blockSize))
        }
        for t in 0..<4 {
            for (s, b) in zip(srcBlocks, dstBlocks) {
                #expect(
                    byteMismatch(d.readTensor(dst, t, query: "block=\(b)"), Self.block(data[t], s)) == nil,
                    "tensor \(t) block \(b)"
                )
            }
            for b in [2, 5] {
                #expect(
                    d.readTensor(dst, t, query: "block=\(b)")?.allSatisfy { $0 == 0 } == true,
                    "block \(b) untouched"
                )
            }
        }
        // With layer ranges: layer 1 of the source into layer 0 of the destination, block 6 → block 2.
        let layered =
            #"{"src_blocks_cache_key":{"prompt_cluster_id":0,"model_id":3},"src_blocks":[6],"dst_blocks":[2],"src_layer_range":[1,2],"dst_layer_range":[0,1]}"#
        #expect(d.post("/v1/cache/\(dst)/pull_blocks", layered)?.status == 200)
        #expect(byteMismatch(d.readTensor(dst, 0, query: "block=2"), Self.block(data[2], 6)) == nil)
        #expect(byteMismatch(d.readTensor(dst, 1, query: "block=2"), Self.block(data[3], 6)) == nil)
        #expect(d.readTensor(dst, 2, query: "block=2")?.allSatisfy { $0 == 0 } == true)

        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }

    @Test func cacheSlotScattersOverDestinationBlocksWithoutConsuming() throws {
        let (p, d) = try PullCacheLiveTests.pair()
        // Slot 1 (req 30) is 2048 bytes = 4 destination blocks.
        let src = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(2, [2, 2048])),"cache_keys":[\#(requestKey(0, 29)),\#(requestKey(0, 30))]}"#
        )
        let data = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: 4096, seed: 400)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [6, Self.blockSize])),"blocks":true}"#)
        let r = try #require(
            d.post(
                "/v1/cache/\(dst)/pull_blocks",
                #"{"src_cache_key":\#(requestKey(0, 30)),"src_blocks":[],"dst_blocks":[5,2,0]}"#
            )
        )
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json?.objectValue?["bytes"]?.int64Value == Int64(2 * 3 * Self.blockSize))
        for t in 0..<2 {
            let slot = Array(data[t][2048..<4096])
            for (i, b) in [5, 2, 0].enumerated() {
                #expect(
                    byteMismatch(d.readTensor(dst, t, query: "block=\(b)"), Self.block(slot, i)) == nil,
                    "tensor \(t) block \(b)"
                )
            }
            for b in [1, 3, 4] { #expect(d.readTensor(dst, t, query: "block=\(b)")?.allSatisfy { $0 == 0 } == true) }
        }
        // By id, src_blocks omitted: slot 0 into block 4.
        let byID = #"{"src_cache_key_by_id":{"cluster_id":0,"cache_id":\#(src),"batch_index":0},"dst_blocks":[4]}"#
        #expect(d.post("/v1/cache/\(dst)/pull_blocks", byID)?.status == 200)
        for t in 0..<2 { #expect(byteMismatch(d.readTensor(dst, t, query: "block=4"), Self.block(data[t], 0)) == nil) }
        // Block pulls did not consume req 30: a pull_cache by it still works (and consumes it).
        let cache = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 2048]))}"#)
        #expect(d.post("/v1/cache/\(cache)/pull", #"{"cache_key":\#(requestKey(0, 30))}"#)?.status == 200)
        for t in 0..<2 { #expect(byteMismatch(d.readTensor(cache, t), Array(data[t][2048..<4096])) == nil) }
        // More blocks than the source slot holds.
        let tooMany = #"{"src_cache_key":\#(requestKey(0, 29)),"dst_blocks":[0,1,2,3,4]}"#
        #expect(d.post("/v1/cache/\(dst)/pull_blocks", tooMany)?.status_ == "LLM_PARAM_INVALID")

        #expect(p.deallocate(src) == 200)
        #expect(p.request("DELETE", "/v1/cache/keys?req_id=29&model_id=0")?.status == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(d.deallocate(cache) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }

    @Test func thousandsOfScatteredBlocksArriveInPlaceBothWays() throws {
        // 4000 blocks of 320 bytes (not a power of two) × 2 tensors: 2.56 MB over several frames, with block
        // boundaries falling anywhere inside them.
        let (blocks, size) = (4000, 320)
        let (p, d) = try PullCacheLiveTests.pair()
        let src = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(2, [blocks, size])),"blocks":true,"blocks_cache_key":{"prompt_cluster_id":0}}"#
        )
        let data = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: blocks * size, seed: 9950)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [blocks, size])),"blocks":true}"#)
        // A fixed permutation: destination block i takes source block (i * 1237 + 11) mod 4000 (1237 is prime
        // to 4000).
        let srcBlocks = (0..<blocks).map { ($0 * 1237 + 11) % blocks }
        let list = { (xs: [Int]) in xs.map(String.init).joined(separator: ",") }
        let r = try #require(
            d.post(
                "/v1/cache/\(dst)/pull_blocks",
                #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[\#(list(srcBlocks))],"dst_blocks":[\#(list(Array(0..<blocks)))],"timeout_ms":20000}"#
            )
        )
        #expect(r.status == 200, "\(r.text)")
        for t in 0..<2 {
            var expected = [UInt8]()
            expected.reserveCapacity(blocks * size)
            for b in srcBlocks { expected += data[t][(b * size)..<((b + 1) * size)] }
            #expect(byteMismatch(d.readTensor(dst, t), expected) == nil, "tensor \(t)")
        }
        // And back: with the lists swapped, push_blocks sends decoder block i to prompt block srcBlocks[i],
        // restoring the original order in the (zeroed) prompt cache.
        for t in 0..<2 { #expect(p.writeTensor(src, t, [UInt8](repeating: 0, count: blocks * size)) == 200) }
        let back = try #require(
            d.post(
                "/v1/cache/\(dst)/push_blocks",
                #"{"dst_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[\#(list(Array(0..<blocks)))],"dst_blocks":[\#(list(srcBlocks))],"timeout_ms":20000}"#
            )
        )
        #expect(back.status == 200, "\(back.text)")
        for t in 0..<2 { #expect(byteMismatch(p.readTensor(src, t), data[t]) == nil, "prompt tensor \(t) restored") }
        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }

    @Test(arguments: [
        (
            "dst is a normal cache", "normal",
            #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[0],"dst_blocks":[0]}"#
        ),
        (
            "empty dst_blocks", "blocks",
            #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[0],"dst_blocks":[]}"#
        ),
        (
            "src_blocks with a cache key", "blocks",
            #"{"src_cache_key":{"prompt_cluster_id":0,"req_id":1},"src_blocks":[0],"dst_blocks":[0]}"#
        ),
        (
            "lengths differ", "blocks",
            #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[0,1],"dst_blocks":[0]}"#
        ),
        (
            "blocks key without src_blocks", "blocks",
            #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"dst_blocks":[0]}"#
        ),
        (
            "dst index out of range", "blocks",
            #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[0],"dst_blocks":[4]}"#
        ),
        (
            "src index out of range", "blocks",
            #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[8],"dst_blocks":[0]}"#
        ),
        (
            "block sizes differ", "small",
            #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[0],"dst_blocks":[0]}"#
        ),
        (
            "two selectors", "blocks",
            #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_cache_key":{"prompt_cluster_id":0,"req_id":1},"src_blocks":[0],"dst_blocks":[0]}"#
        ),
        (
            "a pull_cache field", "blocks",
            #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[0],"dst_blocks":[0],"batch_index":0}"#
        ),
    ])
    func invalidCallsAreParamInvalidAndMoveNothing(what: String, destination: String, body: String) throws {
        let (p, d) = try PullCacheLiveTests.pair()
        let src = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(2, [8, Self.blockSize])),"blocks":true,"blocks_cache_key":{"prompt_cluster_id":0}}"#
        )
        _ = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: 8 * Self.blockSize, seed: 500)
        _ = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 2048])),"cache_keys":[\#(requestKey(0, 1))]}"#)
        let desc: String
        switch destination {
        case "normal": desc = #"{"cache_desc":\#(uint8Desc(2, [4, Self.blockSize]))}"#
        case "small": desc = #"{"cache_desc":\#(uint8Desc(2, [4, Self.blockSize / 2])),"blocks":true}"#
        default: desc = #"{"cache_desc":\#(uint8Desc(2, [4, Self.blockSize])),"blocks":true}"#
        }
        let dst = try d.allocate(desc)
        let r = try #require(d.post("/v1/cache/\(dst)/pull_blocks", body))
        #expect(r.status == 400, "\(what): \(r.text)")
        #expect(r.status_ == "LLM_PARAM_INVALID", "\(what)")
        #expect(r.json?.objectValue?["error"]?.objectValue?["message"]?.stringValue?.isEmpty == false)
        for t in 0..<2 { #expect(d.readTensor(dst, t)?.allSatisfy { $0 == 0 } == true, "\(what): nothing moved") }
        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(d.poolsDrain())
    }
}
