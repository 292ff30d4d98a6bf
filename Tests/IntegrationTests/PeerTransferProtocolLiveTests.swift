import DataDistModel
import TestSupport
import Testing

/// The owner side of the peer transfer protocol (docs/peer-protocol.md) driven by hand, as a misbehaving
/// or hostile peer would: only a linked peer with the link's secret is served, and a peer that prepares a
/// push and never sends it does not pin the destination for long (CONTRACT §6, §8).
@Suite struct PeerTransferProtocolLiveTests {
    static let secret = "00112233445566778899aabbccddeeff"

    /// Links a hand-made peer (cluster 5) to `p` over the peer protocol; the `X-Datadist-Link` header.
    static func fakeLink(_ p: LiveNode) throws -> String {
        let port = try #require(p.node.peerPort)
        let offer =
            #"{"protocol_version":1,"linker_cluster_id":5,"listener_cluster_id":0,"linker_boot_id":"fake-boot","callback_ip_info":"127.0.0.1:1","link_secret":"\#(secret)"}"#
        let r = try #require(RawHTTPConnection.request(port: port, "POST", "/v1/peer/link", body: offer))
        #expect(r.status == 200, "\(r.text)")
        return "X-Datadist-Link: 5:\(secret)"
    }

    static func pullBody(_ src: Int64) -> String {
        #"{"operation":"pull_cache","selector":{"cache_key_by_id":{"cluster_id":0,"cache_id":\#(src),"batch_index":0}},"options":{"batch_index":0,"size":-1,"tensor_num_per_layer":2},"dst_geometry":{"kind":"cache","cache_desc":\#(uint8Desc(2, [1, 4096]))},"device_count":1,"timeout_ms":1000}"#
    }

    @Test func onlyALinkedPeerWithTheLinksSecretIsServed() throws {
        let p = try LiveNode.prompt(0)
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 4096]))}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: 4096, seed: 9900)
        let port = try #require(p.node.peerPort)
        // Not linked yet: refused on the peer listener and on the admin port alike.
        for target in [port, p.port] {
            let r = try #require(
                RawHTTPConnection.request(port: target, "POST", "/v1/peer/pull", body: Self.pullBody(src))
            )
            #expect(r.status == 409, "\(r.text)")
            #expect(r.status_ == "LLM_NOT_YET_LINK")
        }
        let header = try Self.fakeLink(p)
        #expect(p.links.map(\.0) == [UInt64(5)])
        let wrong = try #require(
            RawHTTPConnection.request(
                port: port,
                "POST",
                "/v1/peer/pull",
                body: Self.pullBody(src),
                headers: ["X-Datadist-Link: 5:not-the-secret"]
            )
        )
        #expect(wrong.status == 409, "\(wrong.text)")
        let served = try #require(
            RawHTTPConnection.request(port: port, "POST", "/v1/peer/pull", body: Self.pullBody(src), headers: [header])
        )
        #expect(served.status == 200, "\(served.status)")
        #expect(served.header("Content-Type") == "application/octet-stream")
        // The body is a length-prefixed JSON preamble, then framed payload carrying both tensors.
        let body = served.body
        #expect(body.count > 4 + 2 * 4096)
        let preambleLength = Int(body[0]) | Int(body[1]) << 8 | Int(body[2]) << 16 | Int(body[3]) << 24
        let preamble = try JSONValue.parse(Array(body[4..<(4 + preambleLength)]))
        #expect(preamble.objectValue?["payload_bytes"]?.int64Value == Int64(2 * 4096))
        #expect(preamble.objectValue?["transfer_id"] == .null, "a by-id pull consumes nothing, so no acknowledgement")
        let payload = body[(4 + preambleLength)...]
        #expect(payload.count >= 2 * 4096)
        #expect(Self.contains(payload, data[0]) && Self.contains(payload, data[1]), "both tensors travel in the frames")
        #expect(p.deallocate(src) == 200)
        #expect(p.poolsDrain())
    }

    @Test
    func aPreparedPushThatNeverArrivesReleasesItsDestination() throws {
        let p = try LiveNode.prompt(0)
        let header = try Self.fakeLink(p)
        let dst = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 4096]))}"#)
        let prepare =
            #"{"operation":"push_cache","selector":{"cache_key_by_id":{"cluster_id":0,"cache_id":\#(dst),"batch_index":0}},"options":{"src_batch_index":0,"size":-1,"tensor_num_per_layer":2},"src_geometry":{"kind":"cache","cache_desc":\#(uint8Desc(2, [1, 4096]))},"device_count":1,"timeout_ms":200}"#
        let port = try #require(p.node.peerPort)
        let r = try #require(
            RawHTTPConnection.request(port: port, "POST", "/v1/peer/push/prepare", body: prepare, headers: [header])
        )
        #expect(r.status == 200, "\(r.text)")
        // The peer goes silent. The owner releases the destination id; its memory must come back once the
        // push's own timeout (200 ms) is clearly over, with no other transfer needed to notice.
        #expect(p.deallocate(dst) == 200)
        #expect(p.poolsDrain(within: 5), "the abandoned push still pins the destination: \(p.poolsUsed ?? [])")
    }

    /// Whether `needle` occurs in `haystack` (frames may add headers between tensors but not inside these
    /// small ones).
    static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        let h = Array(haystack)
        guard let first = needle.first, h.count >= needle.count else { return false }
        for i in 0...(h.count - needle.count) where h[i] == first && Array(h[i..<(i + needle.count)]) == needle {
            return true
        }
        return false
    }
}
