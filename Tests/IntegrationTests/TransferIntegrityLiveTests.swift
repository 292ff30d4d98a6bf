import DataDistModel
import Testing

/// Bytes corrupted on the wire are caught (CONTRACT §6: a transfer completes with every byte verified or
/// fails with a status; a failed pull leaves the key bound).
@Suite struct TransferIntegrityLiveTests {
    @Test func aFlippedByteFailsThePullAndKeepsTheKey() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        let proxy = FaultyRelay(upstream: p.node.peerPort ?? 0, fault: .flip, after: 300_000)
        defer { proxy.stop() }
        #expect(d.link([(0, proxy.address)])?.status == 200)
        let src = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(4, [1, 256 * 1024])),"cache_keys":[\#(requestKey(0, 1))]}"#
        )
        let data = PullCacheLiveTests.fill(p, src, tensors: 4, bytes: 256 * 1024, seed: 9100)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, 256 * 1024]))}"#)
        proxy.arm()
        let bad = try #require(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":10000}"#)
        )
        #expect(proxy.didTrigger)
        #expect(bad.status != 200, "\(bad.text)")
        #expect(bad.status_ == "LLM_FAILED" || bad.status_ == "LLM_LINK_FAILED", "\(bad.text)")
        // Not consumed: the next (clean) pull gets every byte and consumes the key.
        let good = try #require(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":10000}"#)
        )
        #expect(good.status == 200, "\(good.text)")
        for t in 0..<4 { #expect(byteMismatch(d.readTensor(dst, t), data[t]) == nil, "tensor \(t)") }
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#)?.status == 404)
        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }

    @Test func aFlippedByteFailsThePushAndTheOwnerReleasesItsPin() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        let proxy = FaultyRelay(upstream: p.node.peerPort ?? 0, fault: .flip, after: 300_000, towardServer: true)
        defer { proxy.stop() }
        #expect(d.link([(0, proxy.address)])?.status == 200)
        let src = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, 256 * 1024]))}"#)
        let data = PullCacheLiveTests.fill(d, src, tensors: 4, bytes: 256 * 1024, seed: 9200)
        let dst = try p.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, 256 * 1024]))}"#)
        proxy.arm()
        let push = #"{"dst_cache_key_by_id":{"cluster_id":0,"cache_id":\#(dst)},"timeout_ms":10000}"#
        let bad = try #require(d.post("/v1/cache/\(src)/push", push))
        #expect(proxy.didTrigger)
        #expect(bad.status != 200, "\(bad.text)")
        #expect(bad.status_ == "LLM_FAILED" || bad.status_ == "LLM_LINK_FAILED", "\(bad.text)")
        let good = try #require(d.post("/v1/cache/\(src)/push", push))
        #expect(good.status == 200, "\(good.text)")
        for t in 0..<4 { #expect(byteMismatch(p.readTensor(dst, t), data[t]) == nil, "tensor \(t)") }
        #expect(p.deallocate(dst) == 200)
        #expect(d.deallocate(src) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }
}
