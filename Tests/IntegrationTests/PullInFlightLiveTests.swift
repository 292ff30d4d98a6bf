import DataDistModel
import DataDistNode
import Dispatch
import Synchronization
import TestSupport
import Testing

/// What the prompt may do while a pull of its cache is in flight (held mid-stream by a relay), and what
/// the key looks like meanwhile (CONTRACT §6: the key is consumed only once every byte is verified; a
/// cache in use is not freed under the transfer).
@Suite struct PullInFlightLiveTests {
    /// A prompt with req 1 bound to `tensors` seeded tensors, a decoder linked through a relay that holds the
    /// response after 300 kB, and the decoder's destination cache.
    struct Setup {
        let p: LiveNode
        let d: LiveNode
        let relay: FaultyRelay
        let src: Int64
        let dst: Int64
        let data: [[UInt8]]
    }

    static func setUp(
        tensors: Int = 4,
        tensorBytes: Int = 256 * 1024,
        prompt configure: (inout NodeConfiguration) -> Void = { _ in }
    ) throws -> Setup {
        let p = try LiveNode.prompt(0, configure)
        let d = try LiveNode.decoder(1)
        let relay = FaultyRelay(upstream: p.node.peerPort ?? 0, fault: .pause, after: 300_000)
        #expect(d.link([(0, relay.address)])?.status == 200)
        let desc = uint8Desc(tensors, [1, tensorBytes])
        let src = try p.allocate(#"{"cache_desc":\#(desc),"cache_keys":[\#(requestKey(0, 1))]}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: tensors, bytes: tensorBytes, seed: 9700)
        let dst = try d.allocate(#"{"cache_desc":\#(desc)}"#)
        relay.arm()
        return Setup(p: p, d: d, relay: relay, src: src, dst: dst, data: data)
    }

    /// Starts the pull of req 1 on a background thread; returns a way to wait for its answer.
    static func startPull(_ s: Setup, timeoutMs: Int = 20000) -> () -> RawHTTPConnection.Response? {
        let answer = Mutex<RawHTTPConnection.Response?>(nil)
        let done = DispatchSemaphore(value: 0)
        let (d, dst) = (s.d, s.dst)
        DispatchQueue.global().async {
            let r = d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":\#(timeoutMs)}"#)
            answer.withLock { $0 = r }
            done.signal()
        }
        return {
            guard done.wait(timeout: .now() + 25) == .success else { return nil }
            return answer.withLock { $0 }
        }
    }

    /// Keys bound to a cache, from `GET /v1/cache/{id}` (nil when the cache is not visible).
    static func boundKeys(_ node: LiveNode, _ id: Int64) -> Int? {
        node.request("GET", "/v1/cache/\(id)")?.json?.objectValue?["cache_keys"]?.arrayValue?.count
    }

    @Test func theKeyStaysBoundUntilTheDecoderHasVerifiedEveryByte() throws {
        let s = try Self.setUp()
        defer { s.relay.stop() }
        let answer = Self.startPull(s)
        #expect(eventually(within: 10) { s.relay.isHolding }, "the pull never reached the relay's hold point")
        #expect(Self.boundKeys(s.p, s.src) == 1, "bytes are in flight: the key must still be bound")
        s.relay.resume()
        let r = try #require(answer())
        #expect(r.status == 200, "\(r.text)")
        #expect(Self.boundKeys(s.p, s.src) == 0)
        for t in 0..<4 { #expect(byteMismatch(s.d.readTensor(s.dst, t), s.data[t]) == nil, "tensor \(t)") }
        #expect(s.p.deallocate(s.src) == 200)
        #expect(s.d.deallocate(s.dst) == 200)
        #expect(s.p.poolsDrain())
        #expect(s.d.poolsDrain())
    }

    @Test func aSourceFreedMidPullIsNotReusedUnderTheTransfer() throws {
        // 32 MiB: far more than the socket buffers, so the prompt is still writing while the relay holds.
        let (tensors, size) = (8, 4 << 20)
        let s = try Self.setUp(tensors: tensors, tensorBytes: size)
        defer { s.relay.stop() }
        let answer = Self.startPull(s)
        #expect(eventually(within: 10) { s.relay.isHolding })
        // The prompt drops the request: id released, key removed. The memory must stay with the pull…
        #expect(s.p.deallocate(s.src) == 200)
        #expect(s.p.request("DELETE", "/v1/cache/keys?req_id=1")?.status == 200)
        #expect(s.p.cacheIDs.isEmpty)
        #expect(s.p.poolsUsed?.contains { $0 > 0 } == true, "the in-flight pull pins the freed cache")
        // …so a new cache of the same size gets other memory, and overwriting it does not reach the pull.
        let other = try s.p.allocate(#"{"cache_desc":\#(uint8Desc(tensors, [1, size]))}"#)
        for t in 0..<tensors { #expect(s.p.writeTensor(other, t, [UInt8](repeating: 0xEE, count: size)) == 200) }
        s.relay.resume()
        let r = try #require(answer())
        // The data arrived intact; the acknowledgement finds no key to consume (it was removed).
        for t in 0..<tensors { #expect(byteMismatch(s.d.readTensor(s.dst, t), s.data[t]) == nil, "tensor \(t)") }
        #expect(r.status == 404, "\(r.text)")
        #expect(r.status_ == "LLM_KV_CACHE_NOT_EXIST")
        #expect(s.p.deallocate(other) == 200)
        #expect(s.p.poolsDrain(), "the pin ended with the pull: \(s.p.poolsUsed ?? [])")
        #expect(s.d.deallocate(s.dst) == 200)
        #expect(s.d.poolsDrain())
    }

    @Test func aPullStalledPastItsTimeoutIs504AndThePromptLetsGoOfTheStalledReader() throws {
        // 32 MiB so the prompt is blocked writing; its idle timeout bounds how long a stalled reader holds it.
        let s = try Self.setUp(tensors: 8, tensorBytes: 4 << 20) { $0.idleTimeoutMs = 1000 }
        defer { s.relay.stop() }
        let started = ContinuousClock.now
        let answer = Self.startPull(s, timeoutMs: 500)
        let r = try #require(answer())
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(s.relay.isHolding)
        #expect(r.status == 504, "\(r.text)")
        #expect(r.status_ == "LLM_TIMEOUT")
        #expect(Self.boundKeys(s.p, s.src) == 1, "a failed pull leaves the key bound")
        #expect(s.d.deallocate(s.dst) == 200)
        #expect(s.d.poolsDrain(), "the decoder's destination pin ended with the pull")
        // The relay still holds the stream: the prompt gives up on the stalled reader and releases its pin.
        #expect(s.p.deallocate(s.src) == 200)
        #expect(s.p.request("DELETE", "/v1/cache/keys?req_id=1")?.status == 200)
        #expect(s.p.poolsDrain(within: 10), "the stalled pull still pins the source: \(s.p.poolsUsed ?? [])")
    }

    @Test
    func aKeyReboundMidPullIsNotConsumedByTheOldPull() throws {
        let s = try Self.setUp()
        defer { s.relay.stop() }
        let answer = Self.startPull(s)
        #expect(eventually(within: 10) { s.relay.isHolding })
        // The prompt retries the request under the same id: old binding removed, a new cache bound to req 1.
        #expect(s.p.request("DELETE", "/v1/cache/keys?req_id=1")?.status == 200)
        let retry = try s.p.allocate(
            #"{"cache_desc":\#(uint8Desc(4, [1, 256 * 1024])),"cache_keys":[\#(requestKey(0, 1))]}"#
        )
        let fresh = PullCacheLiveTests.fill(s.p, retry, tensors: 4, bytes: 256 * 1024, seed: 9800)
        s.relay.resume()
        _ = try #require(answer())
        // The old pull moved the old bytes; the new binding was never pulled and must still be bound.
        #expect(Self.boundKeys(s.p, retry) == 1, "the old pull consumed the new binding of req 1")
        let again = try s.d.allocate(#"{"cache_desc":\#(uint8Desc(4, [1, 256 * 1024]))}"#)
        let r = try #require(
            s.d.post("/v1/cache/\(again)/pull", #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":20000}"#)
        )
        #expect(r.status == 200, "\(r.text)")
        for t in 0..<4 { #expect(byteMismatch(s.d.readTensor(again, t), fresh[t]) == nil, "tensor \(t)") }
    }
}
