import DataDistModel
import TestSupport
import Testing

/// Transfers across the shapes a deployment takes: tokens on both APIs, MIX nodes pulling over either
/// link direction, several devices per node (CONTRACT §2, §4, §6, §8).
@Suite struct TransferTopologyLiveTests {
    @Test func pullAndPushWorkWithAdminAndPeerTokens() throws {
        let p = try LiveNode.prompt(0) {
            $0.peerToken = "peer-secret"
            $0.adminToken = "prompt-admin"
        }
        let d = try LiveNode.decoder(1) {
            $0.peerToken = "peer-secret"
            $0.adminToken = "decoder-admin"
        }
        let pAuth = ["Authorization: Bearer prompt-admin"]
        let dAuth = ["Authorization: Bearer decoder-admin"]
        let link = try #require(
            d.request(
                "POST",
                "/v1/links",
                body: #"{"clusters":[{"remote_cluster_id":0,"remote_ip_info":"\#(p.peerAddress)"}]}"#,
                headers: dAuth
            )
        )
        #expect(link.status == 200, "\(link.text)")
        let allocated = try #require(
            p.request(
                "POST",
                "/v1/cache",
                body: #"{"cache_desc":\#(uint8Desc(2, [1, 4096])),"cache_keys":[\#(requestKey(0, 1))]}"#,
                headers: pAuth
            )
        )
        let src = try #require(allocated.json?.objectValue?["cache_id"]?.int64Value, "\(allocated.text)")
        let data = seededBytes(4096, seed: 9300)
        #expect(
            p.request("PUT", "/v1/cache/\(src)/tensors/1", bytes: data)?.status == 401,
            "the admin token guards writes"
        )
        let write = try #require(
            RawHTTPConnection.request(port: p.port, "PUT", "/v1/cache/\(src)/tensors/1", bytes: data, headers: pAuth)
        )
        #expect(write.status == 200, "\(write.text)")
        let dstAnswer = try #require(
            d.request("POST", "/v1/cache", body: #"{"cache_desc":\#(uint8Desc(2, [1, 4096]))}"#, headers: dAuth)
        )
        let dst = try #require(dstAnswer.json?.objectValue?["cache_id"]?.int64Value)
        let pulled = try #require(
            d.request("POST", "/v1/cache/\(dst)/pull", body: #"{"cache_key":\#(requestKey(0, 1))}"#, headers: dAuth)
        )
        #expect(pulled.status == 200, "\(pulled.text)")
        let read = try #require(d.request("GET", "/v1/cache/\(dst)/tensors/1", headers: dAuth))
        #expect(byteMismatch(read.body, data) == nil)
        // The listener pushes back through the linker's callback (its admin port, which has its own token).
        let pushed = try #require(
            p.request(
                "POST",
                "/v1/cache/\(src)/push",
                body: #"{"dst_cache_key_by_id":{"cluster_id":1,"cache_id":\#(dst)}}"#,
                headers: pAuth
            )
        )
        #expect(pushed.status == 200, "\(pushed.text)")
        #expect(!pulled.text.contains("secret") && !pushed.text.contains("secret"))
    }

    @Test func mixNodesPullOverEitherLinkDirection() throws {
        let a = try LiveNode.prompt(10) { $0.role = .mix }
        let b = try LiveNode.prompt(11) { $0.role = .mix }
        #expect(a.link([(11, b.peerAddress)])?.status == 200)
        let aSrc = try a.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 1000])),"cache_keys":[\#(requestKey(10, 1))]}"#)
        let aData = PullCacheLiveTests.fill(a, aSrc, tensors: 2, bytes: 1000, seed: 9400)
        let bSrc = try b.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 1000])),"cache_keys":[\#(requestKey(11, 1))]}"#)
        let bData = PullCacheLiveTests.fill(b, bSrc, tensors: 2, bytes: 1000, seed: 9500)
        let aDst = try a.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 1000]))}"#)
        let bDst = try b.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 1000]))}"#)
        // Outbound for a, inbound for b.
        let ab = try #require(a.post("/v1/cache/\(aDst)/pull", #"{"cache_key":\#(requestKey(11, 1))}"#))
        #expect(ab.status == 200, "\(ab.text)")
        let ba = try #require(b.post("/v1/cache/\(bDst)/pull", #"{"cache_key":\#(requestKey(10, 1))}"#))
        #expect(ba.status == 200, "\(ba.text)")
        for t in 0..<2 {
            #expect(byteMismatch(a.readTensor(aDst, t), bData[t]) == nil)
            #expect(byteMismatch(b.readTensor(bDst, t), aData[t]) == nil)
        }
        // Both keys consumed.
        #expect(a.post("/v1/cache/\(aDst)/pull", #"{"cache_key":\#(requestKey(11, 1))}"#)?.status == 404)
        #expect(b.post("/v1/cache/\(bDst)/pull", #"{"cache_key":\#(requestKey(10, 1))}"#)?.status == 404)
        for id in [aSrc, aDst] { #expect(a.deallocate(id) == 200) }
        for id in [bSrc, bDst] { #expect(b.deallocate(id) == 200) }
        #expect(a.poolsDrain())
        #expect(b.poolsDrain())
    }

    @Test func everyDeviceOfAMultiDeviceNodeIsMoved() throws {
        let p = try LiveNode.prompt(0) { $0.deviceIDs = [0, 1] }
        let d = try LiveNode.decoder(1) { $0.deviceIDs = [0, 1] }
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(2, [2, 500])),"cache_keys":[\#(requestKey(0, 1))]}"#)
        var data: [[[UInt8]]] = []  // [device][tensor]
        for device in 0..<2 {
            data.append(
                (0..<2).map { t in
                    let bytes = seededBytes(1000, seed: 9600 + UInt64(device * 2 + t))
                    #expect(p.writeTensor(src, t, bytes, query: "device_id=\(device)") == 200)
                    return bytes
                }
            )
        }
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [2, 500]))}"#)
        let r = try #require(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"batch_index":1}"#))
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json?.objectValue?["bytes"]?.int64Value == Int64(2 * 2 * 500))
        for device in 0..<2 {
            for t in 0..<2 {
                let got = d.readTensor(dst, t, query: "device_id=\(device)&batch_index=1")
                #expect(byteMismatch(got, data[device][t][0..<500]) == nil, "device \(device) tensor \(t)")
            }
        }
        // A single-device decoder cannot take a two-device cache.
        let single = try LiveNode.decoder(2)
        #expect(single.link([(0, p.peerAddress)])?.status == 200)
        let one = try single.allocate(#"{"cache_desc":\#(uint8Desc(2, [2, 500]))}"#)
        let refused = try #require(
            single.post("/v1/cache/\(one)/pull", #"{"cache_key_by_id":{"cluster_id":0,"cache_id":\#(src)}}"#)
        )
        #expect(refused.status == 400, "\(refused.text)")
        #expect(refused.status_ == "LLM_PARAM_INVALID")
        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }

    @Test func devicePlacementPullsIntoHostPlacement() throws {
        let (p, d) = try PullCacheLiveTests.pair()
        let deviceDesc = #"{"num_tensors":2,"shape":[1,3000],"data_type":"DT_UINT8","placement":"DEVICE"}"#
        let src = try p.allocate(#"{"cache_desc":\#(deviceDesc),"cache_keys":[\#(requestKey(0, 1))]}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: 3000, seed: 9990)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 3000]))}"#)
        // Pools are listed DEVICE then HOST: each cache sits in its own placement's pool.
        #expect(p.poolsUsed?.first.map { $0 > 0 } == true)
        #expect(p.poolsUsed?.last == 0)
        #expect(d.poolsUsed?.first == 0)
        #expect(d.poolsUsed?.last.map { $0 > 0 } == true)
        let r = try #require(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#))
        #expect(r.status == 200, "\(r.text)")
        for t in 0..<2 { #expect(byteMismatch(d.readTensor(dst, t), data[t]) == nil) }
        #expect(p.deallocate(src) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(p.poolsDrain())
        #expect(d.poolsDrain())
    }
}
