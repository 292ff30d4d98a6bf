import DataDistModel
import DataDistNode
import TestSupport
import Testing

/// The acknowledgement that consumes a key cannot lose it (CONTRACT §6). A relay in front of the prompt lets the ack
/// reach the owner (the key is consumed) and then loses, garbles or delays its answer. Whatever happens, the key is
/// consumed exactly once; the decoder reports success when a retry learns that the ack landed (the owner answers a
/// repeated ack with success), and fails — saying the key may have been consumed — only when no answer comes in time.
@Suite struct AcknowledgementLiveTests {
    struct Setup {
        let p: LiveNode
        let d: LiveNode
        let relay: FaultyRelay
        let dst: Int64
        let data: [[UInt8]]
    }

    /// A prompt with req 1 bound to 2 × 64 KiB seeded tensors and released by id (only the key keeps the memory, so a
    /// lost key would lose the KV), a decoder linked through a relay with `fault`, and the decoder's destination.
    static func setUp(_ fault: FaultyRelay.Fault, seed: UInt64) throws -> Setup {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        let relay = FaultyRelay(upstream: p.node.peerPort ?? 0, fault: fault, after: 0)
        #expect(d.link([(0, relay.address)])?.status == 200)
        let desc = uint8Desc(2, [1, 64 * 1024])
        let src = try p.allocate(#"{"cache_desc":\#(desc),"cache_keys":[\#(requestKey(0, 1))]}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: 64 * 1024, seed: seed)
        let dst = try d.allocate(#"{"cache_desc":\#(desc)}"#)
        #expect(p.deallocate(src) == 200)
        relay.arm()
        return Setup(p: p, d: d, relay: relay, dst: dst, data: data)
    }

    static func pull(_ s: Setup, timeoutMs: Int) throws -> RawHTTPConnection.Response {
        try #require(
            s.d.post("/v1/cache/\(s.dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":\#(timeoutMs)}"#)
        )
    }

    /// The bytes arrived whole, and the key is gone: a second pull finds nothing and the prompt's memory is free.
    static func expectConsumedOnce(_ s: Setup) throws {
        #expect(s.relay.didTrigger, "the fault hit the ack's answer")
        for t in 0..<2 { #expect(byteMismatch(s.d.readTensor(s.dst, t), s.data[t]) == nil, "tensor \(t)") }
        let again = try pull(s, timeoutMs: 5000)
        #expect(again.status == 404, "consumed exactly once: \(again.text)")
        #expect(again.status_ == "LLM_KV_CACHE_NOT_EXIST")
        #expect(s.p.poolsDrain(), "the consumed key freed the released cache")
        #expect(s.d.deallocate(s.dst) == 200)
        #expect(s.d.poolsDrain())
    }

    @Test func anAckWhoseAnswerIsLostIsRetriedAndThePullSucceeds() throws {
        let s = try Self.setUp(.dropAckAnswer, seed: 5150)
        defer { s.relay.stop() }
        let r = try Self.pull(s, timeoutMs: 5000)
        #expect(r.status == 200, "\(r.text)")
        try Self.expectConsumedOnce(s)
    }

    @Test func anAckWhoseAnswerIsGarbledIsRetriedAndThePullSucceeds() throws {
        let s = try Self.setUp(.garbleAckAnswer, seed: 5160)
        defer { s.relay.stop() }
        let r = try Self.pull(s, timeoutMs: 5000)
        #expect(r.status == 200, "\(r.text)")
        try Self.expectConsumedOnce(s)
    }

    /// The answer would arrive after the pull's deadline; a retry within the deadline learns the outcome first.
    @Test func anAckAnswerLaterThanTheTimeoutIsOvertakenByARetry() throws {
        let s = try Self.setUp(.lateAckAnswer(ms: 10_000, everyAck: false), seed: 5170)
        defer { s.relay.stop() }
        let started = ContinuousClock.now
        let r = try Self.pull(s, timeoutMs: 4000)
        #expect(r.status == 200, "\(r.text)")
        #expect(ContinuousClock.now - started < .seconds(10), "it did not wait for the late answer")
        try Self.expectConsumedOnce(s)
    }

    /// Every answer comes too late: the outcome stays unknown, and the decoder says the key may have been consumed
    /// (it was: the owner consumed it once, on the first ack).
    @Test func ackAnswersThatAlwaysComeTooLateFailSayingTheKeyMayBeConsumed() throws {
        let s = try Self.setUp(.lateAckAnswer(ms: 6000, everyAck: true), seed: 5180)
        defer { s.relay.stop() }
        let r = try Self.pull(s, timeoutMs: 2500)
        #expect(r.status == 504, "\(r.text)")
        #expect(r.status_ == "LLM_TIMEOUT")
        #expect(r.text.contains("the key may have been consumed"), "\(r.text)")
        #expect(!r.text.contains("stays bound"), "\(r.text)")
        try Self.expectConsumedOnce(s)
    }
}
