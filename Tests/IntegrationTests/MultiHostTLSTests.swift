import DataDistModel
import Foundation
import TestSupport
import Testing

extension MultiHostTests {
    /// TLS across hosts (CONTRACT §13, issue 15): TLS and mutual TLS between namespaced hosts, a host that
    /// trusts another CA, a plaintext host, and a capture of the wire proving no plaintext byte of a cache
    /// leaves a TLS node.
    @Suite struct TLSAcrossHosts {
        static let certs = TestCertificates.shared

        /// Every host serves the certificate naming the test network's addresses and trusts the test CA.
        static func tlsArguments(mutual: Bool = false) -> [String] {
            ["--tls-cert", certs.hostsCertificate, "--tls-key", certs.hostsKey, "--tls-ca", certs.caCertificate]
                + (mutual ? ["--tls-client-ca", certs.caCertificate] : [])
        }

        @Test(arguments: [false, true])
        func linkPullAndPushAcrossHostsOverTLS(mutual: Bool) throws {
            let net = try MultiHostGate.network(
                MultiHostNetwork.Options(serveArguments: Self.tlsArguments(mutual: mutual))
            )
            defer { net.destroy() }
            let (p, d1, d2) = (net["p"], net["d1"], net["d2"])
            for d in [d1, d2] {
                let r = try #require(d.link(to: p), "\(net.logs)")
                #expect(r.status == 200 && r.results == ["LLM_SUCCESS"], "\(r.text)")
            }
            let stride = 256 << 10
            let src = try #require(
                p.allocate(#"{"cache_desc":\#(multiHostDesc(stride)),"cache_keys":[\#(requestKey(1, 21))]}"#)
            )
            let tensors = (0..<2).map { seededBytes(stride, seed: 1500 + UInt64($0)) }
            for t in 0..<2 { #expect(p.writeTensor(src, t, tensors[t]) == 200) }
            let dst = try #require(d1.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
            let pulled = pullByKey(d1, into: dst, from: 1, req: 21)
            #expect(pulled?.status == 200 && pulled?.status_ == "LLM_SUCCESS", "\(pulled?.text ?? "") \(net.logs)")
            for t in 0..<2 { #expect(bytesDiffer(d1.readTensor(dst, t), tensors[t]) == nil) }

            // The listener pushes into the linker over its callback address (the decoder's TLS admin port).
            let pushSrc = try #require(p.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
            let pushed = (0..<2).map { seededBytes(stride, seed: 1600 + UInt64($0)) }
            for t in 0..<2 { #expect(p.writeTensor(pushSrc, t, pushed[t]) == 200) }
            let intoD2 = try #require(
                d2.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#)
            )
            let r = p.post(
                "/v1/cache/\(pushSrc)/push",
                #"{"dst_cache_key_by_id":{"cluster_id":3,"cache_id":\#(intoD2),"batch_index":0},"src_batch_index":0}"#
            )
            #expect(r?.status == 200, "\(r?.text ?? "") \(net.logs)")
            for t in 0..<2 { #expect(bytesDiffer(d2.readTensor(intoD2, t), pushed[t]) == nil) }
        }

        /// d1 trusts another CA (the prompt's certificate does not verify); d2 speaks plaintext to a TLS
        /// listener (it gets a closed connection). Both links fail with LLM_LINK_FAILED; the prompt serves on.
        @Test func wrongCAAndPlaintextPeerAcrossHosts() throws {
            var options = MultiHostNetwork.Options()
            options.hostArguments["p"] = Self.tlsArguments(mutual: true)
            options.hostArguments["d1"] = [
                "--tls-cert", Self.certs.hostsCertificate, "--tls-key", Self.certs.hostsKey,
                "--tls-ca", Self.certs.otherCACertificate,
            ]
            let net = try MultiHostGate.network(options)
            defer { net.destroy() }
            let (p, d1, d2) = (net["p"], net["d1"], net["d2"])
            let wrongCA = try #require(d1.link(to: p), "\(net.logs)")
            #expect(wrongCA.status == 502 && wrongCA.results == ["LLM_LINK_FAILED"], "\(wrongCA.text)")
            #expect(wrongCA.text.contains("certificate verify failed"), "\(wrongCA.text)")
            let plaintext = try #require(d2.link(to: p), "\(net.logs)")
            #expect(plaintext.status == 502 && plaintext.results == ["LLM_LINK_FAILED"], "\(plaintext.text)")
            #expect(p.request("GET", "/healthz")?.status == 200)
            #expect(p.links.isEmpty)
        }

        /// tcpdump on the bridge while d1 pulls a cache filled with a known pattern: over TLS the pattern never
        /// appears on the wire; in the plaintext control run (same test, same pattern) it does.
        @Test(arguments: [true, false])
        func capturedWireCarriesNoPlaintextOfACache(tls: Bool) throws {
            try #require(
                PacketCapture.unavailableReason == nil,
                Comment(rawValue: PacketCapture.unavailableReason ?? "")
            )
            let options = MultiHostNetwork.Options(serveArguments: tls ? Self.tlsArguments() : [])
            let net = try MultiHostGate.network(options)
            defer { net.destroy() }
            let (p, d1) = (net["p"], net["d1"])
            #expect(d1.link(to: p)?.status == 200, "\(net.logs)")
            let canary = Array("datadist-canary:plaintext-kv!#42".utf8)
            let stride = 512 << 10
            let pattern = (0..<stride).map { canary[$0 % canary.count] }
            let src = try #require(
                p.allocate(#"{"cache_desc":\#(multiHostDesc(stride)),"cache_keys":[\#(requestKey(1, 31))]}"#)
            )
            for t in 0..<2 { #expect(p.writeTensor(src, t, pattern) == 200) }
            let dst = try #require(d1.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))

            let directory = NSTemporaryDirectory() + "ddcapture-\(getpid())-\(tls)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let capture = try PacketCapture(namespace: net.bridge, interface: "br0", directory: directory)
            let pulled = pullByKey(d1, into: dst, from: 1, req: 31)
            let wire = try capture.stop()

            #expect(pulled?.status == 200, "\(pulled?.text ?? "") \(net.logs)")
            // Most of the pull's packets (the kernel may drop a few from a capture buffer under load).
            #expect(wire.count > stride, "the capture holds the pull (\(wire.count) bytes)")
            if tls {
                #expect(!wire.containsBytes(canary), "a plaintext cache pattern crossed the wire")
            } else {
                #expect(wire.containsBytes(canary), "the control run must see the pattern in plaintext")
            }
            for t in 0..<2 { #expect(bytesDiffer(d1.readTensor(dst, t), pattern) == nil) }
        }
    }
}
