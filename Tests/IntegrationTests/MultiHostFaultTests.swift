import DataDistModel
import Foundation
import Synchronization
import Testing

extension MultiHostTests {
    /// Faults of a real network between hosts, made with iptables inside the hosts' namespaces (this kernel has no
    /// `netem`): random loss, a partition in the middle of a pull, and added latency through a delay relay.
    @Suite(MultiHostGate.iptablesEnabled) struct Faults {
        /// 0.5 % of packets dropped each way between the prompt and one decoder: TCP retransmits, and every
        /// transfer still completes with verified bytes.
        @Test func randomLossStillDeliversVerifiedBytes() throws {
            let net = try MultiHostGate.network(needsIptables: true)
            defer { net.destroy() }
            let (p, d1) = (net["p"], net["d1"])
            #expect(d1.link(to: p)?.status == 200)
            try p.dropRandomly(from: d1, probability: 0.005)
            try d1.dropRandomly(from: p, probability: 0.005)

            let stride = 2 << 20  // 4 MiB a slot (two tensors): thousands of packets, so some are lost
            let src = try #require(
                p.allocate(
                    #"{"cache_desc":\#(multiHostDesc(stride, slots: 2)),"cache_keys":[\#(requestKey(1, 1)),\#(requestKey(1, 2))]}"#
                )
            )
            let bytes = (0..<2).map { seededBytes(2 * stride, seed: 500 + UInt64($0)) }
            for t in 0..<2 { #expect(p.writeTensor(src, t, bytes[t]) == 200) }
            let dst = try #require(d1.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
            for req in [UInt64(1), 2] {
                let r = pullByKey(d1, into: dst, from: 1, req: req, timeoutMs: 20000)
                #expect(r?.status == 200 && r?.status_ == "LLM_SUCCESS", "\(r?.text ?? "") \(net.logs)")
                let slot = Int(req - 1)
                for t in 0..<2 {
                    #expect(
                        bytesDiffer(d1.readTensor(dst, t), bytes[t][(slot * stride)..<((slot + 1) * stride)]) == nil
                    )
                }
            }
            // And the other way: the decoder pushes 4 MiB into the prompt over the same lossy path.
            let back = (0..<2).map { seededBytes(stride, seed: 600 + UInt64($0)) }
            for t in 0..<2 { #expect(d1.writeTensor(dst, t, back[t]) == 200) }
            let push = d1.post(
                "/v1/cache/\(dst)/push",
                #"{"dst_cache_key_by_id":{"cluster_id":1,"cache_id":\#(src),"batch_index":1},"src_batch_index":0,"timeout_ms":20000}"#
            )
            #expect(push?.status == 200, "\(push?.text ?? "") \(net.logs)")
            for t in 0..<2 { #expect(bytesDiffer(p.readTensor(src, t, query: "batch_index=1"), back[t]) == nil) }
            // The loss was real.
            let dropped = try p.droppedPackets() + d1.droppedPackets()
            print("multi-host 0.5 % loss: \(dropped) packets dropped, 8 MiB pulled and 4 MiB pushed, all verified")
            #expect(dropped > 0)
        }

        /// Heavy loss (30 % each way) and a short timeout: the pull either still completes with verified bytes or
        /// fails with `LLM_TIMEOUT` within its timeout — never another status, never late, never with the key
        /// consumed or pool memory lost.
        @Test func heavyLossEndsWithinTheTimeout() throws {
            let net = try MultiHostGate.network(needsIptables: true)
            defer { net.destroy() }
            let (p, d1) = (net["p"], net["d1"])
            #expect(d1.link(to: p)?.status == 200)
            let stride = 2 << 20
            let src = try #require(
                p.allocate(#"{"cache_desc":\#(multiHostDesc(stride)),"cache_keys":[\#(requestKey(1, 61))]}"#)
            )
            let bytes = (0..<2).map { seededBytes(stride, seed: 650 + UInt64($0)) }
            for t in 0..<2 { #expect(p.writeTensor(src, t, bytes[t]) == 200) }
            let dst = try #require(d1.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
            let baseline = (p.poolsUsed, d1.poolsUsed)
            try p.dropRandomly(from: d1, probability: 0.3)
            try d1.dropRandomly(from: p, probability: 0.3)

            let timeoutMs = 1000
            let start = ContinuousClock.now
            let r = pullByKey(d1, into: dst, from: 1, req: 61, timeoutMs: timeoutMs)
            let took = ContinuousClock.now - start
            print("multi-host heavy loss: \(r?.status_ ?? "no answer") after \(took)")
            if r?.status == 200 {
                for t in 0..<2 { #expect(bytesDiffer(d1.readTensor(dst, t), bytes[t]) == nil) }
                #expect(!p.hasKey(req: 61))
            } else {
                #expect(r?.status == 504 && r?.status_ == "LLM_TIMEOUT", "\(r?.text ?? "no answer") \(net.logs)")
                #expect(took.milliseconds < Double(timeoutMs) + 1500, "answered after \(took)")
                #expect(p.hasKey(req: 61))
                #expect(p.poolsUsed == baseline.0)
                #expect(d1.poolsUsed == baseline.1)
            }
        }

        /// The path between the prompt and one decoder is cut while a pull is in flight: the pull fails with
        /// `LLM_TIMEOUT` within its timeout, the key stays bound, no pool memory is lost, a decoder on the other side
        /// of no cut still pulls, and once the cut heals the same pull succeeds.
        @Test func partitionMidPullTimesOutAndRecoversAfterHealing() throws {
            let net = try MultiHostGate.network(needsIptables: true)
            defer { net.destroy() }
            let (p, d1, d2) = (net["p"], net["d1"], net["d2"])
            // A relay on the prompt's host in front of its peer listener holds the response after 1 MiB: the pull is
            // then certainly in flight when the cut comes.
            let relay = try LatencyRelay(
                in: p.namespace,
                host: p.address,
                upstreamHost: p.address,
                upstreamPort: MultiHostNetwork.peerPort,
                delay: .zero,
                holdAfter: 1 << 20
            )
            defer { relay.stop() }
            let l = d1.link(to: p, via: relay.address)
            #expect(l?.status == 200, "\(l?.text ?? "") \(net.logs)")
            #expect(d2.link(to: p)?.status == 200)

            let stride = 2 << 20
            let src = try #require(
                p.allocate(
                    #"{"cache_desc":\#(multiHostDesc(stride, slots: 2)),"cache_keys":[\#(requestKey(1, 41)),\#(requestKey(1, 42))]}"#
                )
            )
            let bytes = (0..<2).map { seededBytes(2 * stride, seed: 700 + UInt64($0)) }
            for t in 0..<2 { #expect(p.writeTensor(src, t, bytes[t]) == 200) }
            let dst = try #require(d1.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
            let baseline = (p.poolsUsed, d1.poolsUsed)

            relay.armHold()
            let timeoutMs = 2000
            let answer = Mutex<(RawHTTPConnection.Response?, Duration)?>(nil)
            Thread {
                let start = ContinuousClock.now
                let r = pullByKey(d1, into: dst, from: 1, req: 41, timeoutMs: timeoutMs)
                answer.withLock { $0 = (r, ContinuousClock.now - start) }
            }.start()
            #expect(eventually(within: 10) { relay.isHolding }, "the pull never reached the relay: \(net.logs)")
            try d1.dropEverything(from: p)
            try p.dropEverything(from: d1)
            relay.resume()

            #expect(eventually(within: Double(timeoutMs) / 1000 + 8) { answer.withLock { $0 != nil } })
            let (r, took) = try #require(answer.withLock { $0 })
            #expect(r?.status == 504 && r?.status_ == "LLM_TIMEOUT", "\(r?.text ?? "no answer") \(net.logs)")
            #expect(took.milliseconds < Double(timeoutMs) + 1500, "answered after \(took)")
            print("multi-host partition: \(r?.status_ ?? "no answer") after \(took) (timeout_ms \(timeoutMs))")
            // §5: a probe of a peer that cannot be reached fails (timeout or link failure).
            let probe = d1.request("GET", "/v1/links/1")
            #expect(["LLM_TIMEOUT", "LLM_LINK_FAILED"].contains(probe?.status_ ?? ""), "\(probe?.text ?? "")")
            // §6: the failed pull consumed nothing and leaked nothing.
            #expect(p.hasKey(req: 41))
            #expect(p.poolsUsed == baseline.0)
            #expect(d1.poolsUsed == baseline.1)
            // The cut is between p and d1 only.
            let other = try #require(d2.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
            let viaD2 = pullByKey(d2, into: other, from: 1, req: 42)
            #expect(viaD2?.status == 200, "\(viaD2?.text ?? "")")
            for t in 0..<2 { #expect(bytesDiffer(d2.readTensor(other, t), bytes[t][stride...]) == nil) }

            try d1.heal(from: p)
            try p.heal(from: d1)
            let healed = pullByKey(d1, into: dst, from: 1, req: 41)
            #expect(healed?.status == 200 && healed?.status_ == "LLM_SUCCESS", "\(healed?.text ?? "") \(net.logs)")
            for t in 0..<2 { #expect(bytesDiffer(d1.readTensor(dst, t), bytes[t][0..<stride]) == nil) }
            #expect(!p.hasKey(req: 41))
        }
    }
}
