import DataDistModel
import Testing

/// Transfer and tensor-API errors (CONTRACT §3, §4, §6): each answers its status and changes nothing.
@Suite struct TransferErrorLiveTests {
    @Test func pullErrorsAnswerTheirStatusAndLeakNothing() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 256])),"cache_keys":[\#(requestKey(0, 1))]}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: 256, seed: 900)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [2, 256]))}"#)

        // No link yet.
        let unlinked = try #require(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#))
        #expect(unlinked.status == 409, "\(unlinked.text)")
        #expect(unlinked.status_ == "LLM_NOT_YET_LINK")
        #expect(unlinked.code == 0x5010_B007)
        let unlinkedBlocks = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [2, 256])),"blocks":true}"#)
        let blocksUnlinked = try #require(
            d.post(
                "/v1/cache/\(unlinkedBlocks)/pull_blocks",
                #"{"src_blocks_cache_key":{"prompt_cluster_id":0},"src_blocks":[0],"dst_blocks":[0]}"#
            )
        )
        #expect(blocksUnlinked.status_ == "LLM_NOT_YET_LINK", "\(blocksUnlinked.text)")
        #expect(
            d.post("/v1/cache/\(dst)/push", #"{"dst_cache_key_by_id":{"cluster_id":0,"cache_id":1}}"#)?.status_
                == "LLM_NOT_YET_LINK"
        )

        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        let cases: [(String, Int64, String, Int, String)] = [
            ("own cluster id", dst, #"{"cache_key":\#(requestKey(1, 1))}"#, 400, "LLM_PARAM_INVALID"),
            ("key absent on the peer", dst, #"{"cache_key":\#(requestKey(0, 2))}"#, 404, "LLM_KV_CACHE_NOT_EXIST"),
            (
                "cache id absent on the peer", dst, #"{"cache_key_by_id":{"cluster_id":0,"cache_id":77}}"#, 404,
                "LLM_KV_CACHE_NOT_EXIST"
            ),
            (
                "slot absent on the peer", dst,
                #"{"cache_key_by_id":{"cluster_id":0,"cache_id":\#(src),"batch_index":1}}"#, 404,
                "LLM_KV_CACHE_NOT_EXIST"
            ),
            ("unknown local cache", 999, #"{"cache_key":\#(requestKey(0, 1))}"#, 404, "LLM_KV_CACHE_NOT_EXIST"),
            (
                "blocks cache as destination", unlinkedBlocks, #"{"cache_key":\#(requestKey(0, 1))}"#, 400,
                "LLM_PARAM_INVALID"
            ),
            (
                "batch_index beyond the slots", dst, #"{"cache_key":\#(requestKey(0, 1)),"batch_index":2}"#, 400,
                "LLM_PARAM_INVALID"
            ),
            (
                "tensor counts differ", dst,
                #"{"cache_key":\#(requestKey(0, 1)),"src_layer_range":[0,1],"tensor_num_per_layer":1}"#, 400,
                "LLM_PARAM_INVALID"
            ),
            (
                "both req_id and prefix_id", dst, #"{"cache_key":{"prompt_cluster_id":0,"req_id":1,"prefix_id":2}}"#,
                400, "LLM_PARAM_INVALID"
            ),
            (
                "neither req_id nor prefix_id", dst, #"{"cache_key":{"prompt_cluster_id":0,"req_id":\#(invalidID)}}"#,
                400, "LLM_PARAM_INVALID"
            ),
            ("no selector", dst, #"{"batch_index":0}"#, 400, "LLM_PARAM_INVALID"),
            ("unknown field", dst, #"{"cache_key":\#(requestKey(0, 1)),"bogus":1}"#, 400, "LLM_PARAM_INVALID"),
            (
                "another operation's field", dst, #"{"cache_key":\#(requestKey(0, 1)),"dst_blocks":[0]}"#, 400,
                "LLM_PARAM_INVALID"
            ),
            (
                "batch_index not an integer", dst, #"{"cache_key":\#(requestKey(0, 1)),"batch_index":"0"}"#, 400,
                "TYPE_ERROR"
            ),
            ("cache_key not an object", dst, #"{"cache_key":[0,1]}"#, 400, "TYPE_ERROR"),
            ("req_id a string", dst, #"{"cache_key":{"prompt_cluster_id":0,"req_id":"1"}}"#, 400, "TYPE_ERROR"),
            (
                "layer range not a pair", dst, #"{"cache_key":\#(requestKey(0, 1)),"src_layer_range":[0]}"#, 400,
                "TYPE_ERROR"
            ),
            ("timeout_ms zero", dst, #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":0}"#, 400, "LLM_PARAM_INVALID"),
            ("body not an object", dst, #"[1]"#, 400, "TYPE_ERROR"),
        ]
        for (what, cache, body, status, name) in cases {
            let r = try #require(d.post("/v1/cache/\(cache)/pull", body), "\(what)")
            #expect(r.status == status, "\(what): \(r.text)")
            #expect(r.status_ == name, "\(what): \(r.text)")
            #expect(r.header("Content-Type")?.hasPrefix("application/json") == true, "\(what)")
        }
        let selfPush = try #require(
            d.post("/v1/cache/\(dst)/push", #"{"dst_cache_key_by_id":{"cluster_id":1,"cache_id":\#(dst)}}"#)
        )
        #expect(selfPush.status == 400, "\(selfPush.text)")
        #expect(selfPush.status_ == "LLM_PARAM_INVALID")
        let badID = try #require(d.post("/v1/cache/abc/pull", #"{"cache_key":\#(requestKey(0, 1))}"#))
        #expect(badID.status == 400, "\(badID.text)")
        #expect(badID.status_ == "TYPE_ERROR")
        #expect(d.request("GET", "/v1/cache/\(dst)/pull")?.status == 405)

        // None of the refusals consumed the key or wrote a byte.
        for t in 0..<2 { #expect(d.readTensor(dst, t)?.allSatisfy { $0 == 0 } == true) }
        let ok = try #require(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#))
        #expect(ok.status == 200, "\(ok.text)")
        for t in 0..<2 { #expect(byteMismatch(d.readTensor(dst, t, query: "batch_index=0"), data[t]) == nil) }

        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(d.deallocate(unlinkedBlocks) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }

    /// A role gate: `--compat legacy` only (CONTRACT §4a).
    @Test func aPromptMayNotPull() throws {
        let p = try LiveNode.prompt(0) { $0.compat = .legacy }
        let dst = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 64]))}"#)
        let r = try #require(p.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(2, 1))}"#))
        #expect(r.status == 400, "\(r.text)")
        #expect(r.status_ == "LLM_PARAM_INVALID")
        #expect(r.text.contains("PROMPT"), "the message names the role: \(r.text)")
        let blocks = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [2, 64])),"blocks":true}"#)
        let rb = try #require(
            p.post(
                "/v1/cache/\(blocks)/pull_blocks",
                #"{"src_blocks_cache_key":{"prompt_cluster_id":2},"src_blocks":[0],"dst_blocks":[0]}"#
            )
        )
        #expect(rb.status_ == "LLM_PARAM_INVALID", "\(rb.text)")
        #expect(rb.text.contains("PROMPT"))
        #expect(p.deallocate(dst) == 200)
        #expect(p.deallocate(blocks) == 200)
        #expect(p.poolsDrain())
    }

    @Test func tensorWritesOfTheWrongLengthAreRefusedAndChangeNothing() throws {
        let d = try LiveNode.decoder(1)
        let id = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [2, 128]))}"#)
        let data = seededBytes(256, seed: 1000)
        #expect(d.writeTensor(id, 0, data) == 200)
        for (what, query, length) in [
            ("short whole tensor", "", 255), ("long whole tensor", "", 257), ("short slot", "batch_index=1", 127),
            ("long range", "offset=10&size=20", 21), ("empty body", "", 0),
        ] {
            let path = "/v1/cache/\(id)/tensors/0\(query.isEmpty ? "" : "?" + query)"
            let r = try #require(d.request("PUT", path, bytes: seededBytes(length, seed: 2000)), "\(what)")
            #expect(r.status == 400, "\(what): \(r.text)")
            #expect(r.status_ == "LLM_PARAM_INVALID", "\(what)")
            #expect(byteMismatch(d.readTensor(id, 0), data) == nil, "\(what): the tensor is unchanged")
        }
        // Addressing errors.
        for (query, status, name) in [
            ("batch_index=2", 400, "LLM_PARAM_INVALID"), ("block=0", 400, "LLM_PARAM_INVALID"),
            ("offset=x", 400, "TYPE_ERROR"), ("bogus=1", 400, "LLM_PARAM_INVALID"),
            ("offset=100&size=200", 400, "LLM_PARAM_INVALID"),
        ] {
            let r = try #require(d.request("GET", "/v1/cache/\(id)/tensors/0?\(query)"))
            #expect(r.status == status, "\(query): \(r.text)")
            #expect(r.status_ == name, "\(query)")
        }
        #expect(d.request("GET", "/v1/cache/\(id)/tensors/2")?.status_ == "LLM_PARAM_INVALID")
        #expect(d.request("GET", "/v1/cache/42/tensors/0")?.status == 404)
        // A range write lands exactly there.
        let patch = seededBytes(20, seed: 3000)
        #expect(d.writeTensor(id, 0, patch, query: "batch_index=1&offset=10&size=20") == 200)
        var expected = data
        expected.replaceSubrange(138..<158, with: patch)
        #expect(byteMismatch(d.readTensor(id, 0), expected) == nil)
        #expect(byteMismatch(d.readTensor(id, 0, query: "batch_index=1&offset=10&size=20"), patch) == nil)
        #expect(d.deallocate(id) == 200)
        #expect(d.poolsDrain())
    }

    @Test func aTimeoutFarTooShortIs504AndLeavesTheKeyBound() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        // 64 MiB: 16 tensors of 4 MiB; the first and last carry known bytes.
        let mib4 = 4 << 20
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(16, [1, mib4])),"cache_keys":[\#(requestKey(0, 64))]}"#)
        let first = seededBytes(mib4, seed: 4000)
        let last = seededBytes(mib4, seed: 4001)
        #expect(p.writeTensor(src, 0, first) == 200)
        #expect(p.writeTensor(src, 15, last) == 200)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(16, [1, mib4]))}"#)
        let r = try #require(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 64)),"timeout_ms":1}"#))
        #expect(r.status == 504, "\(r.text)")
        #expect(r.status_ == "LLM_TIMEOUT")
        #expect(r.code == 0x5010_B01A)
        #expect(r.text.contains("the key stays bound"), "a failed pull says the key can be pulled again: \(r.text)")
        #expect(d.request("GET", "/healthz")?.status == 200)
        // The key is still bound: a pull with room succeeds and moves every byte.
        let ok = try #require(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 64)),"timeout_ms":30000}"#)
        )
        #expect(ok.status == 200, "\(ok.text)")
        #expect(ok.json?.objectValue?["bytes"]?.int64Value == Int64(16 * mib4))
        #expect(byteMismatch(d.readTensor(dst, 0), first) == nil)
        #expect(byteMismatch(d.readTensor(dst, 15), last) == nil)
        #expect(d.readTensor(dst, 7, query: "offset=\(mib4 - 64)")?.allSatisfy { $0 == 0 } == true)
        #expect(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 64))}"#)?.status_
                == "LLM_KV_CACHE_NOT_EXIST"
        )
        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(p.poolsDrain(within: 10))
        #expect(d.poolsDrain(within: 10))
    }
}
