import DataDistModel
import Foundation
import Testing

extension MultiHostTests {
    /// Latency between hosts, added by a user-space delay relay (this kernel has no `netem`).
    @Suite struct Latency {
        /// 5 ms of added round-trip time (2.5 ms each way through a delay relay on the prompt's host): link, probe
        /// and pull work, verify their bytes, and take at least the added round trip.
        @Test func addedLatencyStillDeliversVerifiedBytes() throws {
            let net = try MultiHostGate.network()
            defer { net.destroy() }
            let (p, d1) = (net["p"], net["d1"])
            let relay = try LatencyRelay(
                in: p.namespace,
                host: p.address,
                upstreamHost: p.address,
                upstreamPort: MultiHostNetwork.peerPort,
                delay: .microseconds(2500)
            )
            defer { relay.stop() }
            var start = ContinuousClock.now
            let l = d1.link(to: p, via: relay.address)
            let linkTook = ContinuousClock.now - start
            #expect(l?.status == 200, "\(l?.text ?? "") \(net.logs)")
            #expect(linkTook.milliseconds >= 5, "link took \(linkTook)")

            let stride = 4 << 20
            let src = try #require(
                p.allocate(#"{"cache_desc":\#(multiHostDesc(stride)),"cache_keys":[\#(requestKey(1, 51))]}"#)
            )
            let bytes = (0..<2).map { seededBytes(stride, seed: 800 + UInt64($0)) }
            for t in 0..<2 { #expect(p.writeTensor(src, t, bytes[t]) == 200) }
            let dst = try #require(d1.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
            start = ContinuousClock.now
            let r = pullByKey(d1, into: dst, from: 1, req: 51, timeoutMs: 10000)
            let pullTook = ContinuousClock.now - start
            #expect(r?.status == 200, "\(r?.text ?? "") \(net.logs)")
            for t in 0..<2 { #expect(bytesDiffer(d1.readTensor(dst, t), bytes[t]) == nil) }
            // The request and the response each cross the relay once, the acknowledgement again: ≥ one round trip.
            #expect(pullTook.milliseconds >= 5, "pull took \(pullTook)")
            #expect(relay.bytesForwarded >= 2 * stride)
            print("multi-host latency: link \(linkTook), pull of \(2 * stride) bytes through +5 ms RTT \(pullTook)")
        }
    }
}
