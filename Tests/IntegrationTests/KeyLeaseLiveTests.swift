import DataDistModel
import DataDistNode
import Glibc
import Testing

/// Key leases on real nodes (CONTRACT §11): expiry, 410 for a late pull, renewal, in-flight pulls finish first.
@Suite struct KeyLeaseLiveTests {
    static func pair(leaseMs: Int) throws -> (p: LiveNode, d: LiveNode, desc: String) {
        let p = try LiveNode.prompt(0) { $0.kvLeaseMs = leaseMs }
        let d = try LiveNode.decoder(1)
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        return (p, d, uint8Desc(2, [1, 4096]))
    }

    static func keys(_ node: LiveNode, _ id: Int64) -> [JSONValue] {
        node.request("GET", "/v1/cache/\(id)")?.json?["cache_keys"]?.arrayValue ?? []
    }

    @Test func anUnpulledKeyExpiresAndALatePullIsGone() throws {
        let (p, d, desc) = try Self.pair(leaseMs: 300)
        let src = try p.allocate(#"{"cache_desc":\#(desc),"cache_keys":[\#(requestKey(0, 1))]}"#)
        let listed = Self.keys(p, src)
        #expect(listed.first?["lease_expires_at"]?.stringValue?.hasSuffix("Z") == true, "\(listed)")
        #expect(p.deallocate(src) == 200, "released: the cache lives on while its key is bound")
        #expect(eventually(within: 5) { p.cacheIDs.isEmpty }, "the expired key freed the cache")
        #expect(p.poolsDrain())
        let dst = try d.allocate(#"{"cache_desc":\#(desc)}"#)
        let late = try #require(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#))
        #expect(late.status == 410, "\(late.text)")
        #expect(late.status_ == "KV_LEASE_EXPIRED")
        let metrics = try #require(p.request("GET", "/metrics")?.text)
        #expect(metrics.contains("datadist_kv_lease_expired_total 1\n"))
        // Renewing an expired key says so too; the 404/409 cases.
        let renew = try #require(p.post("/v1/cache/keys/lease", #"{"cache_key":\#(requestKey(0, 1))}"#))
        #expect(renew.status == 410)
        #expect(
            p.post("/v1/cache/keys/lease", #"{"cache_key":\#(requestKey(0, 9))}"#)?.status_ == "LLM_KV_CACHE_NOT_EXIST"
        )
        #expect(
            d.post("/v1/cache/keys/lease", #"{"cache_key":\#(requestKey(0, 9))}"#)?.status_ == "LLM_FEATURE_NOT_ENABLED"
        )
        #expect(p.post("/v1/cache/keys/lease", #"{"extend_ms":5}"#)?.status_ == "LLM_PARAM_INVALID")
        #expect(
            p.post("/v1/cache/keys/lease", #"{"cache_key":\#(requestKey(0, 9)),"extend_ms":0}"#)?.status_
                == "VALUE_ERROR"
        )
    }

    @Test func aRenewedKeyOutlivesItsFirstLeaseAndAConsumedKeyIsNotGone() throws {
        let (p, d, desc) = try Self.pair(leaseMs: 1500)
        let src = try p.allocate(
            #"{"cache_desc":{"num_tensors":2,"shape":[2,4096],"data_type":"DT_UINT8","placement":"HOST"},"cache_keys":[\#(requestKey(0, 1)),\#(requestKey(0, 2))]}"#
        )
        let renewed = try #require(
            p.post("/v1/cache/keys/lease", #"{"cache_key":\#(requestKey(0, 1)),"extend_ms":60000}"#)
        )
        #expect(renewed.status == 200, "\(renewed.text)")
        #expect(renewed.json?["lease_expires_at"]?.stringValue != nil)
        let dst = try d.allocate(#"{"cache_desc":\#(desc)}"#)
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 2))}"#)?.status == 200)
        // Past the first lease: key 1 was renewed, key 2 consumed (not expired).
        #expect(
            eventually(within: 5) {
                p.request("GET", "/metrics")?.text.contains("datadist_kv_lease_expired_total 0\n") == true
            }
        )
        usleep(1_800_000)
        #expect(Self.keys(p, src).count == 1)
        let again = try #require(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 2))}"#))
        #expect(again.status == 404, "a consumed key is not a lease that expired: \(again.text)")
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#)?.status == 200)
    }

    @Test func aPullInFlightAtExpiryFinishesAndConsumes() throws {
        let s = try PullInFlightLiveTests.setUp { $0.kvLeaseMs = 1500 }
        defer { s.relay.stop() }
        let answer = PullInFlightLiveTests.startPull(s)
        #expect(eventually(within: 10) { s.relay.isHolding }, "the pull never reached the relay's hold point")
        usleep(1_800_000)  // past the lease: the held pull keeps the key
        #expect(PullInFlightLiveTests.boundKeys(s.p, s.src) == 1)
        s.relay.resume()
        let r = try #require(answer())
        #expect(r.status == 200, "\(r.text)")
        for t in 0..<4 { #expect(byteMismatch(s.d.readTensor(s.dst, t), s.data[t]) == nil, "tensor \(t)") }
        #expect(PullInFlightLiveTests.boundKeys(s.p, s.src) == 0, "consumed by the pull, not expired")
        #expect(s.p.request("GET", "/metrics")?.text.contains("datadist_kv_lease_expired_total 0\n") == true)
    }
}
