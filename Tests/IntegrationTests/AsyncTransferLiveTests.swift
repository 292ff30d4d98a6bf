import DataDistModel
import DataDistNode
import Testing

/// `/v1/transfers` on real nodes (CONTRACT §11): submit, long-poll, list what ended, cancel, bounded history.
@Suite struct AsyncTransferLiveTests {
    /// A prompt (cluster 0) with req 1 bound to 4 seeded tensors of 64 KiB, a linked decoder (1) and its destination.
    static func pair(
        _ configure: (inout NodeConfiguration) -> Void = { _ in }
    ) throws -> (
        p: LiveNode, d: LiveNode, src: Int64, dst: Int64, data: [[UInt8]]
    ) {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1, configure)
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        let desc = uint8Desc(4, [1, 65536])
        let src = try p.allocate(#"{"cache_desc":\#(desc),"cache_keys":[\#(requestKey(0, 1))]}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 4, bytes: 65536, seed: 4400)
        let dst = try d.allocate(#"{"cache_desc":\#(desc)}"#)
        return (p, d, src, dst, data)
    }

    @Test func aSubmittedPullIsPolledToDoneAndListedOnce() throws {
        let s = try Self.pair()
        let r = try #require(
            s.d.post("/v1/transfers", #"{"op":"pull","cache_id":\#(s.dst),"cache_key":\#(requestKey(0, 1))}"#)
        )
        #expect(r.status == 202, "\(r.text)")
        let id = try #require(r.json?["transfer_id"]?.stringValue)
        #expect(r.header("Location") == "/v1/transfers/\(id)")
        #expect(r.json?["state"] == "running")
        let done = try #require(s.d.request("GET", "/v1/transfers/\(id)?wait_ms=10000")?.json)
        #expect(done["state"] == "done")
        #expect(done["status"] == "LLM_SUCCESS")
        #expect(done["op"] == "pull")
        #expect(done["cache_id"] == JSONValue(s.dst))
        #expect(done["bytes_done"] == 262_144)
        #expect(done["bytes_total"] == 262_144)
        #expect(done["seq"] == 1)
        #expect(done["finished_at"]?.stringValue != nil)
        for t in 0..<4 { #expect(byteMismatch(s.d.readTensor(s.dst, t), s.data[t]) == nil, "tensor \(t)") }
        // Consumed like a synchronous pull by request key.
        #expect(s.d.post("/v1/cache/\(s.dst)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#)?.status == 404)
        let all = try #require(s.d.request("GET", "/v1/transfers?since=0")?.json)
        #expect(all["transfers"]?.arrayValue?.map { $0["transfer_id"] } == [.string(id)])
        #expect(all["next"] == 1)
        let none = try #require(s.d.request("GET", "/v1/transfers?since=1")?.json)
        #expect(none["transfers"] == [])
        #expect(none["next"] == 1)
        #expect(s.d.request("GET", "/v1/transfers?since=0&state=failed")?.json?["transfers"] == [])
    }

    @Test func whatTheSynchronousRouteRefusesLocallyIsAnsweredAtOnce() throws {
        let s = try Self.pair()
        let cases: [(String, Int, String)] = [
            (#"{"cache_id":\#(s.dst)}"#, 400, "TYPE_ERROR"),
            (#"{"op":"fetch","cache_id":\#(s.dst)}"#, 400, "VALUE_ERROR"),
            (#"{"op":"pull","cache_id":0,"cache_key":\#(requestKey(0, 1))}"#, 400, "VALUE_ERROR"),
            (#"{"op":"pull","cache_id":"1","cache_key":\#(requestKey(0, 1))}"#, 400, "TYPE_ERROR"),
            (#"{"op":"pull","cache_id":\#(s.dst),"cache_key":\#(requestKey(7, 1))}"#, 409, "LLM_NOT_YET_LINK"),
            (#"{"op":"pull","cache_id":\#(s.dst),"bogus":1}"#, 400, "LLM_PARAM_INVALID"),
        ]
        for (body, status, name) in cases {
            let r = try #require(s.d.post("/v1/transfers", body))
            #expect(r.status == status, "\(body): \(r.text)")
            #expect(r.status_ == name, "\(body): \(r.text)")
        }
        let sync = try #require(s.d.post("/v1/cache/999/pull", #"{"cache_key":\#(requestKey(0, 1))}"#))
        let async = try #require(
            s.d.post("/v1/transfers", #"{"op":"pull","cache_id":999,"cache_key":\#(requestKey(0, 1))}"#)
        )
        #expect(async.status == sync.status)
        #expect(async.status_ == sync.status_)
        #expect(
            s.d.request("GET", "/v1/transfers?since=0")?.json?["transfers"] == [],
            "refused submissions leave no trace"
        )
        #expect(s.d.request("GET", "/v1/transfers/nope")?.status == 404)
        #expect(s.d.request("DELETE", "/v1/transfers/nope")?.status == 404)
        #expect(s.d.request("GET", "/v1/transfers/nope?wait_ms=70000")?.status_ == "VALUE_ERROR")
        #expect(s.d.request("GET", "/v1/transfers?state=running")?.status_ == "VALUE_ERROR")
        #expect(s.d.request("GET", "/v1/transfers?after=1")?.status_ == "LLM_PARAM_INVALID")
    }

    @Test func cancellingAHeldPullConsumesNothingAndReleasesItsPins() throws {
        let s = try PullInFlightLiveTests.setUp()
        defer { s.relay.stop() }
        let r = try #require(
            s.d.post(
                "/v1/transfers",
                #"{"op":"pull","cache_id":\#(s.dst),"cache_key":\#(requestKey(0, 1)),"timeout_ms":20000}"#
            )
        )
        let id = try #require(r.json?["transfer_id"]?.stringValue)
        #expect(eventually(within: 10) { s.relay.isHolding }, "the pull never reached the relay's hold point")
        // A long poll that runs out answers with the state then.
        let started = ContinuousClock.now
        let polled = try #require(s.d.request("GET", "/v1/transfers/\(id)?wait_ms=300")?.json)
        #expect(ContinuousClock.now - started >= .milliseconds(250))
        #expect(polled["state"] == "running")
        #expect((polled["bytes_done"]?.int64Value ?? 0) > 0, "progress is visible: \(polled)")
        let cancelled = try #require(s.d.request("DELETE", "/v1/transfers/\(id)"))
        #expect(cancelled.status == 200, "\(cancelled.text)")
        #expect(cancelled.json?["state"] == "cancelled")
        #expect(PullInFlightLiveTests.boundKeys(s.p, s.src) == 1, "a cancelled pull consumes nothing")
        #expect(s.d.deallocate(s.dst) == 200)
        #expect(s.d.poolsDrain(), "the destination pin ended with the cancelled pull")
        #expect(s.d.request("GET", "/v1/transfers?state=cancelled")?.json?["transfers"]?.arrayValue?.count == 1)
        // Cancelling again answers the terminal record unchanged.
        #expect(s.d.request("DELETE", "/v1/transfers/\(id)")?.json?["state"] == "cancelled")
    }

    @Test func theHistoryKeepsTheLastN() throws {
        let s = try Self.pair { $0.transferHistory = 2 }
        var ids: [String] = []
        for _ in 0..<3 {
            let r = try #require(
                s.d.post(
                    "/v1/transfers",
                    #"{"op":"pull","cache_id":\#(s.dst),"cache_key_by_id":{"cluster_id":0,"cache_id":\#(s.src)}}"#
                )
            )
            let id = try #require(r.json?["transfer_id"]?.stringValue, "\(r.text)")
            #expect(s.d.request("GET", "/v1/transfers/\(id)?wait_ms=10000")?.json?["state"] == "done")
            ids.append(id)
        }
        #expect(s.d.request("GET", "/v1/transfers/\(ids[0])")?.status == 404)
        #expect(s.d.request("GET", "/v1/transfers/\(ids[2])")?.status == 200)
        let listed = s.d.request("GET", "/v1/transfers?since=0")?.json?["transfers"]?.arrayValue?.map { $0["seq"] }
        #expect(listed == [2, 3])
    }
}
