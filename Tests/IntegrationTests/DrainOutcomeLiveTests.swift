import DataDistModel
import DataDistNode
import TestSupport
import Testing

/// CONTRACT §12 on real nodes, the two outcomes of a drain-aware switch that `OrchestrationLiveTests` leaves out:
/// a pull in flight that ends within the drain (the switch waits for it, then applies and reports it), and a
/// graceful unlink that cannot tell a peer (the switch fails, keeps that link, and reports what it did unlink).
@Suite struct DrainOutcomeLiveTests {
    /// Event types of `stream` until `last` arrives (at most 50 events).
    static func types(_ stream: EventStreamClient, through last: String) -> [String] {
        var seen: [String] = []
        for _ in 0..<50 {
            guard let e = stream.next() else { break }
            seen.append(e.type)
            if e.type == last { break }
        }
        return seen
    }

    @Test func aPullInFlightEndsWithinTheDrainThenTheSwitchApplies() throws {
        let s = try PullInFlightLiveTests.setUp()
        defer { s.relay.stop() }
        let stream = try #require(EventStreamClient(port: s.d.port))
        let answer = PullInFlightLiveTests.startPull(s)
        #expect(eventually(within: 10) { s.relay.isHolding }, "the pull never reached the relay's hold point")

        let accepted = try #require(
            s.d.request(
                "PUT",
                "/v1/role",
                body: #"{"role": "MIX", "unlink": "graceful", "drain_timeout_ms": 20000}"#,
                headers: ["Prefer: respond-async"]
            )
        )
        #expect(accepted.status == 202, "\(accepted.text)")
        #expect(accepted.json?["phase"] == "draining")

        // New transfers wait for the switch: 503 NODE_DRAINING with Retry-After, synchronous or not.
        let pull = try #require(
            s.d.post("/v1/cache/\(s.dst)/pull", #"{"cache_key":\#(requestKey(0, 2)),"timeout_ms":1000}"#)
        )
        #expect(pull.status == 503, "\(pull.text)")
        #expect(pull.status_ == "NODE_DRAINING")
        #expect(pull.header("Retry-After") == "1")
        let async = try #require(
            s.d.post("/v1/transfers", #"{"op":"pull","cache_id":\#(s.dst),"cache_key":\#(requestKey(0, 2))}"#)
        )
        #expect(async.status == 503, "\(async.text)")
        #expect(async.status_ == "NODE_DRAINING")
        #expect(s.d.request("GET", "/v1/role")?.json?["phase"] == "draining", "still waiting for the held pull")

        // The held pull finishes (verified, key consumed); only then does the switch unlink and apply.
        s.relay.resume()
        let done = try #require(answer())
        #expect(done.status == 200, "the pull in flight is not cut by the drain: \(done.text)")
        #expect(PullInFlightLiveTests.boundKeys(s.p, s.src) == 0)
        #expect(
            eventually(within: 10) {
                s.d.request("GET", "/v1/role")?.json?["last_switch"]?["status"] == "LLM_SUCCESS"
            }
        )
        let role = try #require(s.d.request("GET", "/v1/role")?.json)
        #expect(role["role"] == "MIX")
        #expect(role["role_epoch"] == 1)
        #expect(role["phase"] == "idle")
        #expect(role["last_switch"]?["drain"]?["transfers_waited"] == 1)
        #expect(role["last_switch"]?["drain"]?["unlinked"] == [0])
        #expect(s.d.links.isEmpty)
        #expect(s.d.request("GET", "/v1/node/load")?.json?["draining"] == false)
        #expect(
            Self.types(stream, through: "role_changed").filter { $0 != "transfer_done" } == [
                "draining", "link_down", "role_changed",
            ]
        )
    }

    @Test func gracefulUnlinkWithADeadPeerFailsAndReportsWhatItUnlinked() throws {
        let p1 = try LiveNode.prompt(1)
        var p2: LiveNode? = try LiveNode.prompt(2)
        let d = try LiveNode.decoder(3)
        #expect(d.link([(1, p1.peerAddress), (2, p2?.peerAddress ?? "")])?.status == 200)
        let stream = try #require(EventStreamClient(port: d.port))
        p2 = nil  // stopped: nobody answers at its peer address any more

        let listen = freePort()
        let r = try #require(
            d.switchRole(
                #"{"role": "PROMPT", "switch_options": {"llm.listenIpInfo": "127.0.0.1:\#(listen)"}, "unlink": "graceful", "drain_timeout_ms": 1000}"#
            )
        )
        #expect(r.status == 502, "\(r.text)")
        #expect(r.status_ == "LLM_UNLINK_FAILED")

        // The peer that could be told is unlinked on both sides; the dead one's link stays; nothing else changed.
        let role = try #require(d.request("GET", "/v1/role")?.json)
        #expect(role["role"] == "DECODER")
        #expect(role["role_epoch"] == 0)
        #expect(role["listen_ip_info"] == .null)
        #expect(role["phase"] == "idle")
        #expect(role["last_switch"]?["status"] == "LLM_UNLINK_FAILED")
        #expect(role["last_switch"]?["drain"]?["unlinked"] == [1])
        #expect(role["last_switch"]?["drain"]?["transfers_waited"] == 0)
        #expect(d.links.map(\.0) == [2])
        #expect(eventually { p1.links.isEmpty }, "the live peer was told")
        #expect(!isListening(listen), "no listener was started")
        #expect(d.request("GET", "/v1/node/load")?.json?["draining"] == false)
        #expect(Self.types(stream, through: "role_switch_failed") == ["draining", "link_down", "role_switch_failed"])

        // Admission reopened: the live peer links again; force then finishes the job.
        #expect(d.link([(1, p1.peerAddress)])?.status == 200)
        let forced = try #require(d.switchRole(#"{"role": "MIX", "unlink": "force"}"#))
        #expect(forced.status == 200, "\(forced.text)")
        #expect(forced.json?["drain"]?["unlinked"] == [1, 2])
        #expect(d.links.isEmpty)
    }
}
