import DataDistModel
import DataDistNode
import Dispatch
import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// Peer I/O never starves (issue 8): blocking peer calls each get their own thread, so a batch of stalled peers
/// neither stretches its own deadline nor delays a call to a healthy peer.
@Suite struct PeerIOStarvationLiveTests {
    @Test func sixteenBlackholedClustersAnswerNearTheirTimeoutAndALiveLinkIsNotHeldUp() throws {
        let d = try LiveNode.decoder(100)
        let p = try LiveNode.prompt(99)
        let hole = Blackhole()
        let answer = Mutex<(RawHTTPConnection.Response?, Duration)?>(nil)
        let done = DispatchSemaphore(value: 0)
        let targets = (0..<16).map { ($0, "127.0.0.1:\(hole.port)") }
        DispatchQueue.global().async {
            let start = ContinuousClock.now
            let r = d.link(targets, timeoutMs: 1000)
            answer.withLock { $0 = (r, ContinuousClock.now - start) }
            done.signal()
        }
        usleep(100_000)  // the 16 handshakes are hanging now
        let start = ContinuousClock.now
        let live = try #require(d.link([(99, p.peerAddress)], timeoutMs: 3000))
        let liveTook = ContinuousClock.now - start
        #expect(live.status == 200, "\(live.text)")
        // Before the change it waited for the stalled batch (8.6 s here); the bound leaves room for a loaded machine.
        #expect(liveTook < .milliseconds(2000), "a healthy peer waited behind stalled ones: \(liveTook)")
        #expect(done.wait(timeout: .now() + 10) == .success)
        let (r, took) = try #require(answer.withLock { $0 })
        let batch = try #require(r)
        #expect(batch.results == [String](repeating: "LLM_TIMEOUT", count: 16), "\(batch.text)")
        // Before: about 4 s on 16 cores (queued behind libdispatch's few threads). The bound here leaves room
        // for a loaded 2-core machine; the benchmark target is timeout + 200 ms.
        #expect(took < .milliseconds(2500), "16 stalled handshakes took \(took)")
        #expect(took >= .milliseconds(950))
    }

    /// Issue 8 item 3: 64 pulls of one prompt in flight at once (4 decoders × 16 each, a thread per pull on the
    /// decoders, the prompt's loops serving them all), each within its timeout, each key consumed once, bytes equal.
    @Test func sixtyFourConcurrentPullsOfOnePromptAllFinishWithinTheirTimeout() throws {
        let (decoderCount, perDecoder, bytes) = (4, 16, 64 * 1024)
        let n = decoderCount * perDecoder
        let p = try LiveNode.prompt(0)
        let decoders = try (1...decoderCount).map { try LiveNode.decoder(UInt64($0)) }
        for d in decoders { #expect(d.link([(0, p.peerAddress)])?.status == 200) }
        let keys = (0..<n).map { requestKey(0, UInt64(1000 + $0)) }.joined(separator: ",")
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [n, bytes])),"cache_keys":[\#(keys)]}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: n * bytes, seed: 6464)
        var targets: [(node: LiveNode, dst: Int64, key: Int)] = []
        for (i, d) in decoders.enumerated() {
            for j in 0..<perDecoder {
                targets.append((d, try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, bytes]))}"#), i * perDecoder + j))
            }
        }
        let answers = Mutex<[Int: String]>([:])
        let group = DispatchGroup()
        let started = ContinuousClock.now
        for (node, dst, key) in targets {
            group.enter()
            Thread {
                let r = node.post(
                    "/v1/cache/\(dst)/pull",
                    #"{"cache_key":\#(requestKey(0, UInt64(1000 + key))),"timeout_ms":20000}"#
                )
                answers.withLock { $0[key] = r.map { "\($0.status) \($0.text)" } ?? "no answer" }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 30) == .success, "pulls still running after 30 s")
        let took = ContinuousClock.now - started
        #expect(took < .seconds(20), "64 concurrent pulls took \(took)")
        for (node, dst, key) in targets {
            let answer = answers.withLock { $0[key] } ?? ""
            #expect(answer.hasPrefix("200 "), "pull \(key): \(answer)")
            for t in 0..<2 {
                let want = data[t][(key * bytes)..<((key + 1) * bytes)]
                #expect(byteMismatch(node.readTensor(dst, t), want) == nil, "pull \(key) tensor \(t)")
            }
        }
        #expect(p.deallocate(src) == 200)
        #expect(p.poolsDrain())
    }
}
