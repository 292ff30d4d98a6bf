import DataDistModel
import Dispatch
import Synchronization
import Testing

/// Many decoders pulling from one prompt at once (CONTRACT §6: concurrent pulls must work).
@Suite struct ConcurrentPullLiveTests {
    @Test func fourDecodersPullEightKeysEachConcurrently() throws {
        let decoders = 4
        let perDecoder = 8
        let slot = 16 * 1024
        let p = try LiveNode.prompt(0)
        let ds = try (1...decoders).map { try LiveNode.decoder(UInt64($0)) }
        for d in ds { #expect(d.link([(0, p.peerAddress)])?.status == 200) }
        // One prompt cache of 32 slots, slot k bound to req 100 + k.
        let keys = (0..<(decoders * perDecoder)).map { requestKey(0, 100 + UInt64($0)) }
        let src = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(2, [decoders * perDecoder, slot])),"cache_keys":[\#(keys.joined(separator: ","))]}"#
        )
        let data = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: decoders * perDecoder * slot, seed: 5000)
        let dsts = try ds.map { try $0.allocate(#"{"cache_desc":\#(uint8Desc(2, [perDecoder, slot]))}"#) }

        let answers = Mutex<[Int: (Int, String)]>([:])
        DispatchQueue.concurrentPerform(iterations: decoders * perDecoder) { k in
            let (i, b) = (k / perDecoder, k % perDecoder)
            let r = ds[i].post(
                "/v1/cache/\(dsts[i])/pull",
                #"{"cache_key":\#(keys[k]),"batch_index":\#(b),"timeout_ms":20000}"#
            )
            answers.withLock { $0[k] = (r?.status ?? 0, r?.text ?? "no answer") }
        }
        let all = answers.withLock { $0 }
        for k in 0..<(decoders * perDecoder) { #expect(all[k]?.0 == 200, "pull \(k): \(all[k]?.1 ?? "")") }
        for k in 0..<(decoders * perDecoder) {
            let (i, b) = (k / perDecoder, k % perDecoder)
            for t in 0..<2 {
                #expect(
                    byteMismatch(
                        ds[i].readTensor(dsts[i], t, query: "batch_index=\(b)"),
                        data[t][(k * slot)..<((k + 1) * slot)]
                    ) == nil,
                    "decoder \(i) slot \(b) tensor \(t)"
                )
            }
        }
        // Every key was consumed exactly once.
        let listed = try #require(p.request("GET", "/v1/cache/\(src)")?.json?.objectValue)
        let bound = listed["cache_keys"]?.arrayValue?.filter { $0 != .null } ?? []
        #expect(bound.isEmpty, "\(listed)")
        for (i, d) in ds.enumerated() {
            #expect(d.linkCounters(0)?.pulled == UInt64(perDecoder * 2 * slot), "decoder \(i)")
        }

        #expect(p.deallocate(src) == 200)
        for (d, id) in zip(ds, dsts) { #expect(d.deallocate(id) == 200) }
        #expect(p.poolsDrain())
        for d in ds { #expect(d.poolsDrain()) }
    }

    @Test func racingPullsOfOneKeyConsumeItOnce() throws {
        let p = try LiveNode.prompt(0)
        let ds = try (1...4).map { try LiveNode.decoder(UInt64($0)) }
        for d in ds { #expect(d.link([(0, p.peerAddress)])?.status == 200) }
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 1 << 20])),"cache_keys":[\#(requestKey(0, 1))]}"#)
        _ = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: 1 << 20, seed: 6000)
        let dsts = try ds.map { try $0.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 1 << 20]))}"#) }
        let statuses = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: ds.count) { i in
            let r = ds[i].post("/v1/cache/\(dsts[i])/pull", #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":20000}"#)
            statuses.withLock { $0.append(r?.status_ ?? "no answer") }
        }
        let all = statuses.withLock { $0 }
        // Exactly one wins; every loser is told the key is gone (never a silent success twice).
        #expect(all.filter { $0 == "LLM_SUCCESS" }.count == 1, "\(all)")
        #expect(all.filter { $0 == "LLM_KV_CACHE_NOT_EXIST" }.count == ds.count - 1, "\(all)")
        #expect(p.deallocate(src) == 200)
        for (d, id) in zip(ds, dsts) { #expect(d.deallocate(id) == 200) }
        #expect(p.poolsDrain())
        for d in ds { #expect(d.poolsDrain()) }
    }
}
