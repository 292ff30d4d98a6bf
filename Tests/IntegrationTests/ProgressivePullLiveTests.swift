import DataDistModel
import DataDistNode
import Testing

/// Progressive (layer-wise) readiness on real nodes (CONTRACT §11): a pull sends the ready layers at once and each
/// further layer as the watermark passes it, on the same response; the key goes only after the last byte.
@Suite struct ProgressivePullLiveTests {
    /// 8 tensors (4 layers of K, V) of 1 slot × 1 MiB + a bit (so frames straddle tensors), progressive, req 1.
    static let tensorBytes = (1 << 20) + 4096

    static func setUp(
        timeoutMs: Int = 20000
    ) throws -> (p: LiveNode, d: LiveNode, src: Int64, dst: Int64, data: [[UInt8]], transfer: String) {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        let desc = uint8Desc(8, [1, tensorBytes])
        let src = try p.allocate(#"{"cache_desc":\#(desc),"cache_keys":[\#(requestKey(0, 1))],"progressive":true}"#)
        let listed = try #require(p.request("GET", "/v1/cache/\(src)")?.json)
        #expect(listed["progressive"] == true)
        #expect(listed["ready_tensors"] == [0])
        let data = (0..<8).map { seededBytes(tensorBytes, seed: 7000 + UInt64($0)) }
        // Layer 0 (tensors 0, 1) is written and declared; the rest is not written yet.
        for t in 0..<2 { #expect(p.writeTensor(src, t, data[t]) == 200) }
        #expect(p.post("/v1/cache/\(src)/ready", #"{"batch_index":0,"layers":1}"#)?.status == 200)
        let dst = try d.allocate(#"{"cache_desc":\#(desc)}"#)
        let r = try #require(
            d.post(
                "/v1/transfers",
                #"{"op":"pull","cache_id":\#(dst),"cache_key":\#(requestKey(0, 1)),"timeout_ms":\#(timeoutMs)}"#
            )
        )
        let transfer = try #require(r.json?["transfer_id"]?.stringValue, "\(r.text)")
        return (p, d, src, dst, data, transfer)
    }

    @Test func layersFlowAsTheyBecomeReadyAndTheKeyGoesLast() throws {
        let s = try Self.setUp()
        // The ready layer's whole frames arrive; then the pull waits for layer 1.
        #expect(
            eventually(within: 10) {
                (s.d.request("GET", "/v1/transfers/\(s.transfer)")?.json?["bytes_done"]?.int64Value ?? 0) >= 2 << 20
            }
        )
        #expect(eventually(within: 5) { s.p.request("GET", "/v1/node/load")?.json?["transfers_waiting"] == 1 })
        #expect(
            eventually(within: 5) { s.d.request("GET", "/v1/transfers/\(s.transfer)")?.json?["state"] == "waiting" }
        )
        let waiting = try #require(s.d.request("GET", "/v1/transfers/\(s.transfer)")?.json)
        #expect((waiting["bytes_done"]?.int64Value ?? 0) < Int64(8 * Self.tensorBytes))
        #expect(PullInFlightLiveTests.boundKeys(s.p, s.src) == 1, "not consumed before the last layer")
        // The engine writes the other layers one by one.
        for layer in 1..<4 {
            for t in (2 * layer)..<(2 * layer + 2) { #expect(s.p.writeTensor(s.src, t, s.data[t]) == 200) }
            #expect(s.p.post("/v1/cache/\(s.src)/ready", #"{"batch_index":0,"layers":\#(layer + 1)}"#)?.status == 200)
        }
        let done = try #require(s.d.request("GET", "/v1/transfers/\(s.transfer)?wait_ms=10000")?.json)
        #expect(done["state"] == "done", "\(done)")
        for t in 0..<8 { #expect(byteMismatch(s.d.readTensor(s.dst, t), s.data[t]) == nil, "tensor \(t)") }
        #expect(PullInFlightLiveTests.boundKeys(s.p, s.src) == 0)
        #expect(s.p.request("GET", "/v1/node/load")?.json?["transfers_waiting"] == 0)
        #expect(s.p.request("GET", "/v1/cache/\(s.src)")?.json?["ready_tensors"] == [8])
    }

    @Test func layersThatNeverComeEndInTimeoutWithTheKeyBound() throws {
        let s = try Self.setUp(timeoutMs: 800)
        let end = try #require(s.d.request("GET", "/v1/transfers/\(s.transfer)?wait_ms=10000")?.json)
        #expect(end["state"] == "failed")
        #expect(end["status"] == "LLM_TIMEOUT", "\(end)")
        #expect(PullInFlightLiveTests.boundKeys(s.p, s.src) == 1, "a timed-out pull consumes nothing")
        #expect(eventually(within: 5) { s.p.request("GET", "/v1/node/load")?.json?["transfers_waiting"] == 0 })
        #expect(s.d.deallocate(s.dst) == 200)
        #expect(s.d.poolsDrain())
        #expect(s.p.deallocate(s.src) == 200)
        #expect(s.p.request("DELETE", "/v1/cache/keys?req_id=1")?.status == 200)
        #expect(s.p.poolsDrain(), "the stalled stream let go of its pin")
    }

    @Test func readyIsCheckedAndOnlyRises() throws {
        let p = try LiveNode.prompt(0)
        let plain = try p.allocate(#"{"cache_desc":\#(uint8Desc(4, [2, 64]))}"#)
        let prog = try p.allocate(#"{"cache_desc":\#(uint8Desc(4, [2, 64])),"progressive":true}"#)
        #expect(p.post("/v1/cache/\(plain)/ready", #"{"layers":1}"#)?.status_ == "LLM_PARAM_INVALID")
        #expect(p.post("/v1/cache/\(prog)/ready", #"{"layers":3}"#)?.status_ == "LLM_PARAM_INVALID", "2 layers only")
        #expect(p.post("/v1/cache/\(prog)/ready", #"{"batch_index":2,"layers":1}"#)?.status_ == "LLM_PARAM_INVALID")
        #expect(p.post("/v1/cache/\(prog)/ready", #"{"layers":"1"}"#)?.status_ == "TYPE_ERROR")
        #expect(p.post("/v1/cache/\(prog)/ready", #"{}"#)?.status_ == "TYPE_ERROR")
        #expect(
            p.post("/v1/cache/\(prog)/ready", #"{"layers":1,"tensor_num_per_layer":3}"#)?.status_ == "LLM_PARAM_INVALID"
        )
        #expect(p.post("/v1/cache/999/ready", #"{"layers":1}"#)?.status == 404)
        #expect(p.post("/v1/cache/\(prog)/ready", #"{"batch_index":1,"layers":2}"#)?.json?["ready_layers"] == 2)
        #expect(
            p.post("/v1/cache/\(prog)/ready", #"{"batch_index":1,"layers":1}"#)?.json?["ready_layers"] == 2,
            "never lowers"
        )
        #expect(p.request("GET", "/v1/cache/\(prog)")?.json?["ready_tensors"] == [0, 4])
        #expect(p.request("GET", "/v1/cache/\(plain)")?.json?["progressive"] == nil)
    }
}
