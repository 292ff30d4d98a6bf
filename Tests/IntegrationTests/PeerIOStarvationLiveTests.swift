import DataDistModel
import DataDistNode
import Dispatch
import Glibc
import Synchronization
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
        #expect(liveTook < .milliseconds(800), "a healthy peer waited behind stalled ones: \(liveTook)")
        #expect(done.wait(timeout: .now() + 10) == .success)
        let (r, took) = try #require(answer.withLock { $0 })
        let batch = try #require(r)
        #expect(batch.results == [String](repeating: "LLM_TIMEOUT", count: 16), "\(batch.text)")
        // Before: about 4 s on 16 cores (queued behind libdispatch's few threads). The bound here leaves room
        // for a loaded 2-core machine; the benchmark target is timeout + 200 ms.
        #expect(took < .milliseconds(2500), "16 stalled handshakes took \(took)")
        #expect(took >= .milliseconds(950))
    }
}
