import DataDistModel
import Foundation
import Testing

extension MultiHostTests {
    /// Link, pull, push and role switches between three hosts on a private network: admin ports on 0.0.0.0,
    /// peer listeners on the hosts' addresses, callbacks to the address each linker names in `local_ip_info`.
    @Suite struct Transfers {
        @Test func linkPullAndPushAcrossHosts() throws {
            let net = try MultiHostGate.network()
            defer { net.destroy() }
            let (p, d1, d2) = (net["p"], net["d1"], net["d2"])

            for d in [d1, d2] {
                let r = try #require(d.link(to: p), "\(net.logs)")
                #expect(r.status == 200 && r.results == ["LLM_SUCCESS"], "\(r.text)")
            }
            #expect(Set(p.links.map { "\($0.0)-\($0.1)" }) == ["2-inbound", "3-inbound"])
            #expect(d1.links.map { "\($0.0)-\($0.1)" } == ["1-outbound"])
            // Each decoder's probe reaches the prompt's listener, and the prompt's answer to it proves it holds the link.
            for d in [d1, d2] {
                let r = d.request("GET", "/v1/links/1")
                #expect(r?.status == 200 && r?.status_ == "LLM_SUCCESS", "\(d.spec.name): \(r?.text ?? "")")
            }

            // Two slots bound to two keys; each decoder pulls one, at the same time.
            let stride = 256 << 10
            let src = try #require(
                p.allocate(
                    #"{"cache_desc":\#(multiHostDesc(stride, slots: 2)),"cache_keys":[\#(requestKey(1, 11)),\#(requestKey(1, 12))]}"#
                )
            )
            let tensors = (0..<2).map { seededBytes(2 * stride, seed: 100 + UInt64($0)) }
            for t in 0..<2 { #expect(p.writeTensor(src, t, tensors[t]) == 200) }
            let dst1 = try #require(d1.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
            let dst2 = try #require(d2.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
            let first: @Sendable () -> RawHTTPConnection.Response? = { pullByKey(d1, into: dst1, from: 1, req: 11) }
            let second: @Sendable () -> RawHTTPConnection.Response? = { pullByKey(d2, into: dst2, from: 1, req: 12) }
            let pulls = concurrently([first, second])
            for r in pulls {
                #expect(r?.status == 200 && r?.status_ == "LLM_SUCCESS", "\(r?.text ?? "no answer") \(net.logs)")
                #expect(r?.json?.objectValue?["bytes"]?.int64Value == Int64(2 * stride))
            }
            for t in 0..<2 {
                #expect(bytesDiffer(d1.readTensor(dst1, t), tensors[t][0..<stride]) == nil)
                #expect(bytesDiffer(d2.readTensor(dst2, t), tensors[t][stride...]) == nil)
            }
            // Consumed: the other decoder cannot pull the key again.
            let again = pullByKey(d2, into: dst2, from: 1, req: 11)
            #expect(again?.status == 404 && again?.status_ == "LLM_KV_CACHE_NOT_EXIST", "\(again?.text ?? "")")

            // The listener pushes into a linker (over the callback address) …
            let pushSrc = try #require(p.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
            let pushed = (0..<2).map { seededBytes(stride, seed: 200 + UInt64($0)) }
            for t in 0..<2 { #expect(p.writeTensor(pushSrc, t, pushed[t]) == 200) }
            let intoD1 = p.post(
                "/v1/cache/\(pushSrc)/push",
                #"{"dst_cache_key_by_id":{"cluster_id":2,"cache_id":\#(dst1),"batch_index":0},"src_batch_index":0}"#
            )
            #expect(intoD1?.status == 200, "\(intoD1?.text ?? "") \(net.logs)")
            for t in 0..<2 { #expect(bytesDiffer(d1.readTensor(dst1, t), pushed[t]) == nil) }

            // … and a linker pushes into the listener.
            let fromD2 = (0..<2).map { seededBytes(stride, seed: 300 + UInt64($0)) }
            for t in 0..<2 { #expect(d2.writeTensor(dst2, t, fromD2[t]) == 200) }
            let intoP = d2.post(
                "/v1/cache/\(dst2)/push",
                #"{"dst_cache_key_by_id":{"cluster_id":1,"cache_id":\#(pushSrc),"batch_index":0},"src_batch_index":0}"#
            )
            #expect(intoP?.status == 200, "\(intoP?.text ?? "") \(net.logs)")
            for t in 0..<2 { #expect(bytesDiffer(p.readTensor(pushSrc, t), fromD2[t]) == nil) }

            // Unlink over the network: both sides drop the link.
            let unlink = d1.post(
                "/v1/links/unlink",
                #"{"clusters":[{"remote_cluster_id":1,"remote_ip_info":"\#(p.peerAddress)"}],"force":false}"#
            )
            #expect(unlink?.status == 200, "\(unlink?.text ?? "")")
            #expect(d1.links.isEmpty)
            #expect(p.links.map { $0.0 } == [3])
        }

        /// Roles changed across hosts: a decoder becomes a prompt listening on its own address and serves two
        /// decoders; the old prompt becomes MIX on the same listener, pulls from the new prompt, and still serves
        /// a key it bound before its switch.
        @Test func switchRolesAcrossHosts() throws {
            let net = try MultiHostGate.network()
            defer { net.destroy() }
            let (p, d1, d2) = (net["p"], net["d1"], net["d2"])
            let stride = 64 << 10

            #expect(d1.link(to: p)?.status == 200)
            let toPrompt = #"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"\#(d1.peerAddress)"}}"#
            let refused = d1.request("PUT", "/v1/role", body: toPrompt)
            #expect(refused?.status == 409 && refused?.status_ == "LLM_EXIST_LINK", "\(refused?.text ?? "")")
            let unlink = d1.request("DELETE", "/v1/links/1?force=false&timeout_ms=3000")
            #expect(unlink?.status == 200, "\(unlink?.text ?? "")")
            #expect(p.links.isEmpty)

            let switched = d1.request("PUT", "/v1/role", body: toPrompt)
            #expect(switched?.status == 200, "\(switched?.text ?? "") \(net.logs)")
            #expect(switched?.json?.objectValue?["role"]?.stringValue == "PROMPT")
            #expect(switched?.json?.objectValue?["listen_ip_info"]?.stringValue == d1.peerAddress)
            let src = try #require(
                d1.allocate(
                    #"{"cache_desc":\#(multiHostDesc(stride, slots: 2)),"cache_keys":[\#(requestKey(2, 31)),\#(requestKey(2, 32))]}"#
                )
            )
            let bytes = (0..<2).map { seededBytes(2 * stride, seed: 400 + UInt64($0)) }
            for t in 0..<2 { #expect(d1.writeTensor(src, t, bytes[t]) == 200) }

            // The old prompt binds a key, then becomes MIX on the same listen address: the key survives the switch.
            let kept = try #require(
                p.allocate(#"{"cache_desc":\#(multiHostDesc(stride)),"cache_keys":[\#(requestKey(1, 33))]}"#)
            )
            let keptBytes = (0..<2).map { seededBytes(stride, seed: 450 + UInt64($0)) }
            for t in 0..<2 { #expect(p.writeTensor(kept, t, keptBytes[t]) == 200) }
            let toMix = p.request(
                "PUT",
                "/v1/role",
                body: #"{"role":"MIX","switch_options":{"llm.listenIpInfo":"\#(p.peerAddress)"}}"#
            )
            #expect(toMix?.status == 200, "\(toMix?.text ?? "")")
            #expect(toMix?.json?.objectValue?["role"]?.stringValue == "MIX")

            // d2 pulls from the new prompt d1, and the MIX node p pulls from d1 too.
            for (node, req) in [(d2, UInt64(31)), (p, UInt64(32))] {
                let l = node.link(to: d1)
                #expect(l?.status == 200 && l?.results == ["LLM_SUCCESS"], "\(l?.text ?? "") \(net.logs)")
                let dst = try #require(node.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
                let r = pullByKey(node, into: dst, from: 2, req: req)
                #expect(r?.status == 200, "\(node.spec.name): \(r?.text ?? "") \(net.logs)")
                let slot = Int(req - 31)
                for t in 0..<2 {
                    #expect(
                        bytesDiffer(node.readTensor(dst, t), bytes[t][(slot * stride)..<((slot + 1) * stride)]) == nil
                    )
                }
            }
            // d2 pulls the key p bound before its switch from p's listener, kept across the switch.
            #expect(d2.link(to: p)?.status == 200)
            let dst = try #require(d2.allocate(#"{"cache_desc":\#(multiHostDesc(stride))}"#))
            let r = pullByKey(d2, into: dst, from: 1, req: 33)
            #expect(r?.status == 200, "\(r?.text ?? "") \(net.logs)")
            for t in 0..<2 { #expect(bytesDiffer(d2.readTensor(dst, t), keptBytes[t]) == nil) }
            #expect(Set(d1.links.map { "\($0.0)-\($0.1)" }) == ["1-inbound", "3-inbound"])
        }
    }
}
