import DataDistModel
import TestSupport
import Testing

/// The switch_role sample (CONTRACT §4, §6): pull blocks, reverse the roles, push back over the link the
/// old prompt makes to the new one; and push_cache in both link directions.
@Suite struct PushLiveTests {
    static let block = 256

    @Test func switchRoleSamplePushesBlocksBackOverTheInboundLink() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        let pBlocks = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(4, [8, Self.block])),"blocks":true,"blocks_cache_key":{"prompt_cluster_id":0,"model_id":0}}"#
        )
        let original = PullCacheLiveTests.fill(p, pBlocks, tensors: 4, bytes: 8 * Self.block, seed: 600)
        let dBlocks = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [8, Self.block])),"blocks":true}"#)

        // Prefill side to decode side.
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        let pulled = try #require(
            d.post(
                "/v1/cache/\(dBlocks)/pull_blocks",
                #"{"src_blocks_cache_key":{"prompt_cluster_id":0,"model_id":0},"src_blocks":[0,1,2,3],"dst_blocks":[4,5,6,7]}"#
            )
        )
        #expect(pulled.status == 200, "\(pulled.text)")
        for t in 0..<4 {
            #expect(
                byteMismatch(
                    d.readTensor(dBlocks, t, query: "offset=\(4 * Self.block)"),
                    original[t][0..<(4 * Self.block)]
                )
                    == nil
            )
        }
        #expect(d.unlink([(0, p.peerAddress)])?.status == 200)

        // Roles reverse; the old prompt links to the new one.
        #expect(p.switchRole(#"{"role":"DECODER"}"#)?.status == 200)
        let port = freePort()
        let toPrompt = try #require(
            d.switchRole(#"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"127.0.0.1:\#(port)"}}"#)
        )
        #expect(toPrompt.status == 200, "\(toPrompt.text)")
        let relink = try #require(p.link([(1, "127.0.0.1:\(port)")]))
        #expect(relink.status == 200, "\(relink.text)")
        #expect(d.links.map(\.1) == ["inbound"])

        // The decode side computes new KV into blocks 4, 5 and pushes them into P's blocks 6, 1.
        let fresh = (0..<4).map { seededBytes(2 * Self.block, seed: 700 + UInt64($0)) }
        for t in 0..<4 {
            #expect(
                d.writeTensor(dBlocks, t, fresh[t], query: "offset=\(4 * Self.block)&size=\(2 * Self.block)") == 200
            )
        }
        let pushed = try #require(
            d.post(
                "/v1/cache/\(dBlocks)/push_blocks",
                #"{"dst_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[4,5],"dst_blocks":[6,1]}"#
            )
        )
        #expect(pushed.status == 200, "\(pushed.text)")
        #expect(pushed.json?.objectValue?["bytes"]?.int64Value == Int64(4 * 2 * Self.block))
        for t in 0..<4 {
            var expected = original[t]
            expected.replaceSubrange((6 * Self.block)..<(7 * Self.block), with: fresh[t][0..<Self.block])
            expected.replaceSubrange((1 * Self.block)..<(2 * Self.block), with: fresh[t][Self.block..<(2 * Self.block)])
            #expect(
                byteMismatch(p.readTensor(pBlocks, t), expected) == nil,
                "P tensor \(t): exactly blocks 6 and 1 changed"
            )
        }
        // Counters: D pushed, P received.
        #expect(d.linkCounters(0)?.pushed == UInt64(4 * 2 * Self.block))
        #expect(p.linkCounters(1)?.pulled == UInt64(4 * 2 * Self.block))

        // And the linker pushes too (outbound direction): P's blocks 2, 3 into D's blocks 0, 1.
        let back = try #require(
            p.post(
                "/v1/cache/\(pBlocks)/push_blocks",
                #"{"dst_blocks_cache_key":{"prompt_cluster_id":1,"model_id":0},"src_blocks":[2,3],"dst_blocks":[0,1]}"#
            )
        )
        // D holds no blocks key (it allocated as a decoder), so the destination does not exist on D.
        #expect(back.status == 404, "\(back.text)")
        #expect(back.status_ == "LLM_KV_CACHE_NOT_EXIST")

        // push_cache (C2C) in the switched topology: D (now PROMPT) into P's cache by id, over the inbound
        // link; then P (now DECODER) back into D's cache, over its outbound link.
        let dCache = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [2, 512]))}"#)
        let pCache = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [2, 512]))}"#)
        let kv = PullCacheLiveTests.fill(d, dCache, tensors: 2, bytes: 1024, seed: 750)
        let c2c = try #require(
            d.post(
                "/v1/cache/\(dCache)/push",
                #"{"dst_cache_key_by_id":{"cluster_id":0,"cache_id":\#(pCache),"batch_index":0},"src_batch_index":1}"#
            )
        )
        #expect(c2c.status == 200, "\(c2c.text)")
        for t in 0..<2 {
            #expect(byteMismatch(p.readTensor(pCache, t, query: "batch_index=0"), kv[t][512..<1024]) == nil)
            #expect(p.readTensor(pCache, t, query: "batch_index=1")?.allSatisfy { $0 == 0 } == true)
        }
        let returned = try #require(
            p.post(
                "/v1/cache/\(pCache)/push",
                #"{"dst_cache_key_by_id":{"cluster_id":1,"cache_id":\#(dCache),"batch_index":0},"src_batch_index":0}"#
            )
        )
        #expect(returned.status == 200, "\(returned.text)")
        for t in 0..<2 { #expect(byteMismatch(d.readTensor(dCache, t), kv[t][512..<1024] + kv[t][512..<1024]) == nil) }
        #expect(d.deallocate(dCache) == 200)
        #expect(p.deallocate(pCache) == 200)

        #expect(p.unlink([(1, "127.0.0.1:\(port)")])?.status == 200)
        #expect(p.deallocate(pBlocks) == 200)
        #expect(d.deallocate(dBlocks) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }

    @Test func pushCacheByIDInBothLinkDirections() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        // Decoder (linker, outbound) pushes its slot 0 into the prompt's slot 1.
        let dCache = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [2, 1024]))}"#)
        let dData = PullCacheLiveTests.fill(d, dCache, tensors: 4, bytes: 2048, seed: 800)
        let pCache = try p.allocate(#"{"cache_desc":\#(uint8Desc(4, [2, 1024]))}"#)
        let r = try #require(
            d.post(
                "/v1/cache/\(dCache)/push",
                #"{"dst_cache_key_by_id":{"cluster_id":0,"cache_id":\#(pCache),"batch_index":1},"src_batch_index":0}"#
            )
        )
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json?.objectValue?["bytes"]?.int64Value == Int64(4 * 1024))
        for t in 0..<4 {
            let got = try #require(p.readTensor(pCache, t))
            #expect(byteMismatch(Array(got[1024..<2048]), Array(dData[t][0..<1024])) == nil, "P tensor \(t) slot 1")
            #expect(got[0..<1024].allSatisfy { $0 == 0 }, "P tensor \(t) slot 0 untouched")
        }
        // Prompt (listener, inbound) pushes its slot 1 into the decoder's slot 1, layers [1,2) into [0,1), 100 bytes.
        let reply = try #require(
            p.post(
                "/v1/cache/\(pCache)/push",
                #"{"dst_cache_key_by_id":{"cluster_id":1,"cache_id":\#(dCache),"batch_index":1},"src_batch_index":1,"size":100,"src_layer_range":[1,2],"dst_layer_range":[0,1]}"#
            )
        )
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.json?.objectValue?["bytes"]?.int64Value == Int64(2 * 100))
        for t in 0..<2 {
            let got = try #require(d.readTensor(dCache, t, query: "batch_index=1"))
            // P's tensor t + 2 slot 1 holds D's original tensor t + 2 slot 0 (the first push).
            #expect(
                byteMismatch(Array(got[0..<100]), Array(dData[t + 2][0..<100])) == nil,
                "D tensor \(t) took P's tensor \(t + 2)"
            )
            #expect(
                byteMismatch(Array(got[100...]), Array(dData[t][1124..<2048])) == nil,
                "D tensor \(t): past size untouched"
            )
        }
        for t in 2..<4 {
            #expect(
                byteMismatch(d.readTensor(dCache, t), dData[t]) == nil,
                "D tensor \(t) outside the layer range untouched"
            )
        }
        // A push into a cache id the peer does not have.
        let missing = try #require(
            d.post("/v1/cache/\(dCache)/push", #"{"dst_cache_key_by_id":{"cluster_id":0,"cache_id":999}}"#)
        )
        #expect(missing.status == 404, "\(missing.text)")
        #expect(missing.status_ == "LLM_KV_CACHE_NOT_EXIST")
        // push_cache demands whole layers: 3 tensors with N = 2 is refused locally.
        let odd = try d.allocate(#"{"cache_desc":\#(uint8Desc(3, [1, 64]))}"#)
        let oddPush = try #require(
            d.post("/v1/cache/\(odd)/push", #"{"dst_cache_key_by_id":{"cluster_id":0,"cache_id":\#(pCache)}}"#)
        )
        #expect(oddPush.status_ == "LLM_PARAM_INVALID", "\(oddPush.text)")

        #expect(p.deallocate(pCache) == 200)
        #expect(d.deallocate(dCache) == 200)
        #expect(d.deallocate(odd) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }
}
