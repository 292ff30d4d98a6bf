import DataDistModel
import DataDistNode
import TestSupport
import Testing

/// Torn writes (CONTRACT §6, §11): a tensor PUT, pull or push that fails part-way leaves its destination range
/// undefined — the data path is zero-copy, so some bytes may have landed — and the node never reports such a range as
/// written: no readiness moves (only `POST /v1/cache/{id}/ready` moves it), no `bytes_done`, no byte counters.
@Suite struct TornWriteLiveTests {
    /// 4 tensors (2 layers of K, V) of 1 slot × 256 KiB.
    static let tensorBytes = 256 * 1024
    static let desc = uint8Desc(4, [1, tensorBytes])

    static func readyTensors(_ node: LiveNode, _ id: Int64) -> JSONValue? {
        node.request("GET", "/v1/cache/\(id)")?.json?["ready_tensors"]
    }

    @Test func aTensorPutCutMidBodyMovesNoReadinessAndReleasesItsPin() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        let src = try p.allocate(
            #"{"cache_desc":\#(Self.desc),"cache_keys":[\#(requestKey(0, 1))],"progressive":true}"#
        )
        _ = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: Self.tensorBytes, seed: 8800)
        #expect(Self.readyTensors(p, src) == [0], "a complete PUT does not move readiness either")
        #expect(p.post("/v1/cache/\(src)/ready", #"{"batch_index":0,"layers":1}"#)?.status == 200)

        // Layer 1's first tensor: the head promises 256 KiB, 100 000 bytes come, then the writer dies.
        let torn = try RawHTTPConnection(port: p.port)
        try torn.send(
            "PUT /v1/cache/\(src)/tensors/2 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: \(Self.tensorBytes)\r\n\r\n"
        )
        try torn.send(seededBytes(100_000, seed: 8900))
        torn.reset()
        // A write of the wrong length is refused from its head.
        #expect(p.writeTensor(src, 3, seededBytes(1000, seed: 8901)) == 400)
        #expect(Self.readyTensors(p, src) == [2], "only /ready moves readiness")

        // So a pull still gets layer 0 only, then times out waiting for layer 1 with the key bound.
        let dst = try d.allocate(#"{"cache_desc":\#(Self.desc)}"#)
        let r = try #require(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":600}"#)
        )
        #expect(r.status == 504, "\(r.text)")
        #expect(r.status_ == "LLM_TIMEOUT")
        #expect(PullInFlightLiveTests.boundKeys(p, src) == 1)
        // The torn write released its pin with its connection: the cache frees once let go.
        #expect(p.deallocate(src) == 200)
        #expect(p.request("DELETE", "/v1/cache/keys?req_id=1")?.status == 200)
        #expect(p.poolsDrain(within: 10), "\(p.poolsUsed ?? [])")
    }

    @Test func aPullBrokenOnTheWireReportsNoBytesAndMovesNoReadiness() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        let relay = FaultyRelay(upstream: p.node.peerPort ?? 0, fault: .flip, after: 300_000)
        defer { relay.stop() }
        #expect(d.link([(0, relay.address)])?.status == 200)
        let src = try p.allocate(#"{"cache_desc":\#(Self.desc),"cache_keys":[\#(requestKey(0, 1))]}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 4, bytes: Self.tensorBytes, seed: 8700)
        let dst = try d.allocate(#"{"cache_desc":\#(Self.desc),"progressive":true}"#)
        let pulledBefore = try #require(d.transferBytesMetric("pull"))
        relay.arm()
        let submit = #"{"op":"pull","cache_id":\#(dst),"cache_key":\#(requestKey(0, 1)),"timeout_ms":10000}"#
        let id = try #require(d.post("/v1/transfers", submit)?.json?["transfer_id"]?.stringValue)
        let failed = try #require(d.request("GET", "/v1/transfers/\(id)?wait_ms=15000")?.json)
        #expect(relay.didTrigger)
        #expect(failed["state"] == "failed", "\(failed)")
        #expect(failed["bytes_done"] == 0, "a torn range is never reported as written: \(failed)")
        #expect(d.linkCounters(0)?.pulled == 0)
        #expect(d.transferBytesMetric("pull") == pulledBefore)
        #expect(Self.readyTensors(d, dst) == [0])
        #expect(PullInFlightLiveTests.boundKeys(p, src) == 1, "a failed pull consumes nothing")

        // The clean retry reports every byte; the destination's readiness is still the engine's to move.
        let again = try #require(d.post("/v1/transfers", submit)?.json?["transfer_id"]?.stringValue)
        let done = try #require(d.request("GET", "/v1/transfers/\(again)?wait_ms=15000")?.json)
        #expect(done["state"] == "done", "\(done)")
        #expect(done["bytes_done"] == JSONValue(4 * Self.tensorBytes))
        for t in 0..<4 { #expect(byteMismatch(d.readTensor(dst, t), data[t]) == nil, "tensor \(t)") }
        #expect(Self.readyTensors(d, dst) == [0])
        #expect(d.deallocate(dst) == 200)
        #expect(d.poolsDrain())
        #expect(p.deallocate(src) == 200, "the consumed key and the released id free it")
        #expect(p.poolsDrain())
    }

    @Test func aPushBrokenOnTheWireReportsNoBytesAndMovesNoReadiness() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        let relay = FaultyRelay(upstream: p.node.peerPort ?? 0, fault: .flip, after: 300_000, towardServer: true)
        defer { relay.stop() }
        #expect(d.link([(0, relay.address)])?.status == 200)
        let src = try d.allocate(#"{"cache_desc":\#(Self.desc)}"#)
        let data = PullCacheLiveTests.fill(d, src, tensors: 4, bytes: Self.tensorBytes, seed: 8600)
        let dst = try p.allocate(#"{"cache_desc":\#(Self.desc),"progressive":true}"#)
        let pushedBefore = try #require(d.transferBytesMetric("push"))
        relay.arm()
        let submit = #"{"op":"push","cache_id":\#(src),"dst_cache_key_by_id":{"cluster_id":0,"cache_id":\#(dst)}}"#
        let id = try #require(d.post("/v1/transfers", submit)?.json?["transfer_id"]?.stringValue)
        let failed = try #require(d.request("GET", "/v1/transfers/\(id)?wait_ms=15000")?.json)
        #expect(relay.didTrigger)
        #expect(failed["state"] == "failed", "\(failed)")
        #expect(failed["bytes_done"] == 0, "a torn range is never reported as written: \(failed)")
        #expect(d.linkCounters(0)?.pushed == 0)
        #expect(d.transferBytesMetric("push") == pushedBefore)
        // The receiver counts nothing and its readiness stays where the engine left it.
        #expect(p.linkCounters(1)?.pulled == 0)
        #expect(Self.readyTensors(p, dst) == [0])

        let again = try #require(d.post("/v1/transfers", submit)?.json?["transfer_id"]?.stringValue)
        let done = try #require(d.request("GET", "/v1/transfers/\(again)?wait_ms=15000")?.json)
        #expect(done["state"] == "done", "\(done)")
        for t in 0..<4 { #expect(byteMismatch(p.readTensor(dst, t), data[t]) == nil, "tensor \(t)") }
        #expect(p.linkCounters(1)?.pulled == UInt64(4 * Self.tensorBytes))
        #expect(Self.readyTensors(p, dst) == [0])
        #expect(p.deallocate(dst) == 200)
        #expect(d.deallocate(src) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }
}
