import DataDistModel
import DataDistNode
import Dispatch
import Foundation
import Synchronization
import Testing

/// Striped transfers (CONTRACT §9, docs/peer-protocol.md "Striped transfers"): a payload larger than
/// `--stripe-bytes` travels over up to K connections, done only when every stream is verified, one ack consuming
/// the key; a failing stream fails the transfer with nothing consumed and every pin released.
@Suite struct StripedTransferLiveTests {
    static let mib = 1 << 20

    /// Pullers and pushers stripe every payload above 1 MiB over up to `k` streams.
    static func striping(_ k: Int) -> (inout NodeConfiguration) -> Void {
        { c in
            c.stripeBytes = 1 << 20
            c.streamsPerTransfer = k
        }
    }

    /// Streams the node served (each stream of a striped pull counts once), from `/metrics`.
    static func servedStreams(_ node: LiveNode) -> Int {
        let prefix = #"datadist_transfer_duration_seconds_count{kind="served"} "#
        guard let text = node.request("GET", "/metrics")?.text,
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) })
        else { return -1 }
        return Int(line.dropFirst(prefix.count)) ?? -1
    }

    @Test func twelveDecodersPullStripedFromOnePromptAtOnce() throws {
        let n = 12
        let p = try LiveNode.prompt(0)
        let decoders = try (1...n).map { try LiveNode.decoder(UInt64($0), Self.striping(4)) }
        for d in decoders { #expect(d.link([(0, p.peerAddress)])?.status == 200) }
        // One slot of 4 tensors × 1 MiB per decoder: each pull is 4 MiB, four streams of 1 MiB.
        let keys = (0..<n).map { requestKey(0, UInt64(100 + $0)) }.joined(separator: ",")
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(4, [n, Self.mib])),"cache_keys":[\#(keys)]}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 4, bytes: n * Self.mib, seed: 8800)
        let dsts = try decoders.map { try $0.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, Self.mib]))}"#) }
        let servedBefore = Self.servedStreams(p)
        let statuses = Mutex<[Int: String]>([:])
        // A thread per decoder, so all twelve pulls are in flight at once (concurrentPerform would run only as
        // many at a time as there are cores).
        let group = DispatchGroup()
        for i in 0..<n {
            let (d, dst) = (decoders[i], dsts[i])
            group.enter()
            Thread {
                let r = d.post(
                    "/v1/cache/\(dst)/pull",
                    #"{"cache_key":\#(requestKey(0, UInt64(100 + i))),"timeout_ms":60000}"#
                )
                statuses.withLock { $0[i] = r.map { "\($0.status) \($0.text)" } ?? "no answer" }
                group.leave()
            }.start()
        }
        group.wait()
        for i in 0..<n {
            let status = statuses.withLock { $0[i] } ?? ""
            #expect(status.hasPrefix("200 "), "decoder \(i): \(status)")
        }
        #expect(Self.servedStreams(p) - servedBefore == 4 * n, "every pull travelled on four streams")
        for i in 0..<n {
            for t in 0..<4 {
                let want = data[t][(i * Self.mib)..<((i + 1) * Self.mib)]
                #expect(byteMismatch(decoders[i].readTensor(dsts[i], t), want) == nil, "decoder \(i) tensor \(t)")
            }
            // Consumed exactly once: the key is gone.
            let again = decoders[i].post(
                "/v1/cache/\(dsts[i])/pull",
                #"{"cache_key":\#(requestKey(0, UInt64(100 + i)))}"#
            )
            #expect(again?.status == 404, "\(again?.text ?? "")")
        }
        #expect(p.deallocate(src) == 200)
        #expect(p.poolsDrain())
        for (d, dst) in zip(decoders, dsts) {
            #expect(d.deallocate(dst) == 200)
            #expect(d.poolsDrain())
        }
    }

    @Test func oneStreamWhenStripingIsOffOrThePayloadIsSmall() throws {
        let p = try LiveNode.prompt(0)
        let off = try LiveNode.decoder(1, Self.striping(1))
        let on = try LiveNode.decoder(2, Self.striping(4))
        #expect(off.link([(0, p.peerAddress)])?.status == 200)
        #expect(on.link([(0, p.peerAddress)])?.status == 200)
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, Self.mib]))}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 4, bytes: Self.mib, seed: 8900)
        let byID = #"{"cache_key_by_id":{"cluster_id":0,"cache_id":\#(src)},"timeout_ms":30000}"#
        for (d, streams) in [(off, 1), (on, 4)] {
            let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, Self.mib]))}"#)
            let before = Self.servedStreams(p)
            let r = try #require(d.post("/v1/cache/\(dst)/pull", byID))
            #expect(r.status == 200, "\(r.text)")
            // The prompt records a served stream when its producer finishes, which may be just after the answer.
            #expect(eventually { Self.servedStreams(p) - before >= streams })
            #expect(Self.servedStreams(p) - before == streams)
            for t in 0..<4 { #expect(byteMismatch(d.readTensor(dst, t), data[t]) == nil, "tensor \(t)") }
            #expect(d.deallocate(dst) == 200)
            #expect(d.poolsDrain())
        }
        // 1 MiB is not above the stripe size: one stream even with K = 4.
        let small = try p.allocate(#"{"cache_desc":\#(uint8Desc(1, [1, Self.mib]))}"#)
        let dst = try on.allocate(#"{"cache_desc":\#(uint8Desc(1, [1, Self.mib]))}"#)
        let before = Self.servedStreams(p)
        let r = on.post("/v1/cache/\(dst)/pull", #"{"cache_key_by_id":{"cluster_id":0,"cache_id":\#(small)}}"#)
        #expect(r?.status == 200, "\(r?.text ?? "")")
        // The prompt records a served stream when its producer finishes, which may be just after the answer.
        #expect(eventually { Self.servedStreams(p) - before >= 1 })
        #expect(Self.servedStreams(p) - before == 1)
        #expect(p.deallocate(src) == 200 && p.deallocate(small) == 200 && on.deallocate(dst) == 200)
        #expect(p.poolsDrain())
    }

    /// A relay that cuts any request carrying more than 1.5 MB: a 4 MiB push only passes it striped (four
    /// data requests of about 1 MiB each), which proves it was. Counted per request: a stream may reuse the kept-alive
    /// connection of a share that already finished.
    @Test func aStripedPushArrivesVerified() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1, Self.striping(4))
        let relay = FaultyRelay(
            upstream: p.node.peerPort ?? 0,
            fault: .cut,
            after: 1_500_000,
            towardServer: true,
            perRequest: true
        )
        defer { relay.stop() }
        #expect(d.link([(0, relay.address)])?.status == 200)
        let src = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, Self.mib]))}"#)
        let data = PullCacheLiveTests.fill(d, src, tensors: 4, bytes: Self.mib, seed: 9000)
        let dst = try p.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, Self.mib]))}"#)
        relay.arm()
        let push = #"{"dst_cache_key_by_id":{"cluster_id":0,"cache_id":\#(dst)},"timeout_ms":30000}"#
        let r = try #require(d.post("/v1/cache/\(src)/push", push))
        #expect(r.status == 200, "\(r.text)")
        #expect(!relay.didTrigger, "no data request carried more than a share")
        for t in 0..<4 { #expect(byteMismatch(p.readTensor(dst, t), data[t]) == nil, "tensor \(t)") }
        #expect(p.linkCounters(1)?.pulled == UInt64(4 * Self.mib))
        #expect(p.deallocate(dst) == 200)
        #expect(d.deallocate(src) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }

    /// One stream of a striped pull killed, corrupted or stalled fails the whole pull with today's status;
    /// nothing is consumed, the key stays pullable, and every pin is released.
    @Test(arguments: [FaultyRelay.Fault.cut, .flip, .pause])
    func aFailedStreamFailsTheStripedPullAndKeepsTheKey(_ fault: FaultyRelay.Fault) throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1, Self.striping(4))
        let relay = FaultyRelay(upstream: p.node.peerPort ?? 0, fault: fault, after: 600_000)
        defer { relay.stop() }
        #expect(d.link([(0, relay.address)])?.status == 200)
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, Self.mib])),"cache_keys":[\#(requestKey(0, 7))]}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 4, bytes: Self.mib, seed: 9300)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, Self.mib]))}"#)
        relay.arm()
        let timeout = fault == .pause ? 1500 : 30000
        let bad = try #require(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 7)),"timeout_ms":\#(timeout)}"#)
        )
        #expect(relay.didTrigger)
        #expect(bad.status != 200, "\(bad.text)")
        switch fault {
        case .flip:
            #expect(bad.status_ == "LLM_FAILED", "\(bad.text)")
            #expect(bad.text.contains("frame"), "the failure names the frame: \(bad.text)")
        case .pause:
            #expect(bad.status_ == "LLM_TIMEOUT", "\(bad.text)")
            relay.resume()
        default:
            #expect(bad.status_ == "LLM_FAILED" || bad.status_ == "LLM_LINK_FAILED", "\(bad.text)")
        }
        #expect(bad.text.contains("stays bound"), "\(bad.text)")
        // Nothing consumed: a clean pull gets every byte and consumes the key, once.
        let good = try #require(
            d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 7)),"timeout_ms":30000}"#)
        )
        #expect(good.status == 200, "\(good.text)")
        for t in 0..<4 { #expect(byteMismatch(d.readTensor(dst, t), data[t]) == nil, "tensor \(t)") }
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 7))}"#)?.status == 404)
        // Pins released: freed caches give their memory back (the stalled stream's pin once its entry expires).
        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(p.poolsDrain(within: 10))
        #expect(d.poolsDrain())
    }

    /// The ack's answer is lost after a striped pull: the retried ack is answered with success, the key is
    /// consumed once.
    @Test func anAckAfterAStripedPullConsumesOnce() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1, Self.striping(4))
        let relay = FaultyRelay(upstream: p.node.peerPort ?? 0, fault: .dropAckAnswer, after: 0)
        defer { relay.stop() }
        #expect(d.link([(0, relay.address)])?.status == 200)
        let src = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(2, [2, Self.mib])),"cache_keys":[\#(requestKey(0, 1)),\#(requestKey(0, 2))]}"#
        )
        let data = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: 2 * Self.mib, seed: 9400)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, Self.mib]))}"#)
        relay.arm()
        let before = Self.servedStreams(p)
        let r = try #require(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":30000}"#))
        #expect(r.status == 200, "\(r.text)")
        #expect(relay.didTrigger)
        // The prompt records a served stream when its producer finishes, which may be just after the answer.
        #expect(eventually { Self.servedStreams(p) - before >= 2 })
        #expect(Self.servedStreams(p) - before == 2)
        for t in 0..<2 { #expect(byteMismatch(d.readTensor(dst, t), data[t][0..<Self.mib]) == nil, "tensor \(t)") }
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#)?.status == 404)
        // The other key of the same cache is untouched.
        let other = d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 2)),"timeout_ms":30000}"#)
        #expect(other?.status == 200, "\(other?.text ?? "")")
        #expect(p.deallocate(src) == 200 && d.deallocate(dst) == 200)
        #expect(p.poolsDrain())
    }

    /// An owner's answer announcing fewer bytes than its preamble needs is refused before any frame is consumed,
    /// and its connection (which still holds the surplus) is never reused: the next pull is clean.
    @Test(arguments: [1, 4])
    func aContentLengthShortOfThePreambleFailsThePullAndPoisonsNothing(_ k: Int) throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1, Self.striping(k))
        let relay = FaultyRelay(upstream: p.node.peerPort ?? 0, fault: .shortenLength, after: 0)
        defer { relay.stop() }
        #expect(d.link([(0, relay.address)])?.status == 200)
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, Self.mib])),"cache_keys":[\#(requestKey(0, 5))]}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 4, bytes: Self.mib, seed: 9500)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, Self.mib]))}"#)
        relay.arm()
        let pull = #"{"cache_key":\#(requestKey(0, 5)),"timeout_ms":30000}"#
        let bad = try #require(d.post("/v1/cache/\(dst)/pull", pull))
        #expect(relay.didTrigger)
        #expect(bad.status == 500 && bad.status_ == "LLM_FAILED", "\(bad.text)")
        #expect(bad.text.contains("announced"), "\(bad.text)")
        let good = try #require(d.post("/v1/cache/\(dst)/pull", pull))
        #expect(good.status == 200, "\(good.text)")
        for t in 0..<4 { #expect(byteMismatch(d.readTensor(dst, t), data[t]) == nil, "tensor \(t)") }
        #expect(p.deallocate(src) == 200 && d.deallocate(dst) == 200)
        #expect(p.poolsDrain(within: 10))
        #expect(d.poolsDrain())
    }

    /// A share of a striped push cut mid-transfer fails the push; the receiver releases its pin and a retry
    /// delivers every byte.
    @Test func aCutShareFailsTheStripedPushAndReleasesTheReceiversPin() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1, Self.striping(4))
        let relay = FaultyRelay(upstream: p.node.peerPort ?? 0, fault: .cut, after: 600_000, towardServer: true)
        defer { relay.stop() }
        #expect(d.link([(0, relay.address)])?.status == 200)
        let src = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, Self.mib]))}"#)
        let data = PullCacheLiveTests.fill(d, src, tensors: 4, bytes: Self.mib, seed: 9600)
        let dst = try p.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, Self.mib]))}"#)
        relay.arm()
        let push = #"{"dst_cache_key_by_id":{"cluster_id":0,"cache_id":\#(dst)},"timeout_ms":30000}"#
        let bad = try #require(d.post("/v1/cache/\(src)/push", push))
        #expect(relay.didTrigger)
        #expect(bad.status != 200, "\(bad.text)")
        let good = try #require(d.post("/v1/cache/\(src)/push", push))
        #expect(good.status == 200, "\(good.text)")
        for t in 0..<4 { #expect(byteMismatch(p.readTensor(dst, t), data[t]) == nil, "tensor \(t)") }
        #expect(p.deallocate(dst) == 200 && d.deallocate(src) == 200)
        #expect(p.poolsDrain(within: 10))
        #expect(d.poolsDrain())
    }
}
