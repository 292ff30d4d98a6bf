import DataDistModel
import Glibc
import Synchronization

extension AsyncScenario {
    static let slotBytes = 64 * 1024
    static let syncThreads = 8

    /// (b) `pulls` pulls of 64 KiB by request key, all submitted to `POST /v1/transfers` on one decoder and collected
    /// with `GET /v1/transfers?since=` (each must be listed exactly once, done, and the bytes must match), against
    /// the same pulls made synchronously from 8 client threads.
    static func manyPulls(_ env: BenchEnvironment, pulls: Int, report: inout Report) throws(BenchError) {
        print("\(name) \(pulls) async pulls of \(slotBytes / 1024) KiB:")
        let half = slotBytes / 2  // K and V of a slot
        let total = pulls * slotBytes
        let source = try PinnedBuffer(count: total)
        source.fillRandom(seed: 2020)
        let prompt = try NodeProcess(env, clusterID: 1, role: "prompt", pool: 3 * total + 64 * MiB)
        defer { prompt.stop() }
        let decoder = try NodeProcess(env, clusterID: 2, role: "decoder", pool: total + 64 * MiB)
        defer { decoder.stop() }
        try decoder.link(to: prompt)
        let dst = try decoder.admin.call(
            "POST",
            "/v1/cache",
            #"{"cache_desc":{"num_tensors":2,"shape":[\#(pulls),\#(half)],"data_type":"DT_UINT8","placement":"DEVICE"}}"#
        )["cache_id"]?.int64Value
        guard let dst else { throw BenchError("allocate the decoder's cache") }

        var cursor: Int64 = 0
        var asyncRate = Samples()
        var syncRate = Samples()
        var listedOnce = true
        for trial in 0..<env.trials + 1 {  // trial 0 warms up (faults the pages in)
            let base = UInt64(100_000 * (2 * trial + 1))
            try bindSlots(prompt, source, pulls: pulls, firstReq: base)
            let started = monotonicSeconds()
            var submitted = Set<String>()
            for i in 0..<pulls {
                let answer = try decoder.admin.call(
                    "POST",
                    "/v1/transfers",
                    #"{"op":"pull","cache_id":\#(dst),"cache_key":{"prompt_cluster_id":1,"req_id":\#(base + UInt64(i))},"batch_index":\#(i),"timeout_ms":60000}"#
                )
                guard let id = answer["transfer_id"]?.stringValue else {
                    throw BenchError("submit: \(answer.serialized)")
                }
                submitted.insert(id)
            }
            var seen = Set<String>()
            let deadline = monotonicSeconds() + 120
            while seen.count < pulls {
                guard monotonicSeconds() < deadline else { throw BenchError("only \(seen.count) of \(pulls) ended") }
                let page = try decoder.admin.call("GET", "/v1/transfers?since=\(cursor)&limit=1000")
                for t in page["transfers"]?.arrayValue ?? [] {
                    guard let id = t["transfer_id"]?.stringValue, submitted.contains(id) else { continue }
                    guard t["state"]?.stringValue == "done" else { throw BenchError("pull \(id): \(t.serialized)") }
                    if !seen.insert(id).inserted { listedOnce = false }
                }
                cursor = page["next"]?.int64Value ?? cursor
                if seen.count < pulls { usleep(1000) }  // an engine asks once per step
            }
            let asyncSeconds = monotonicSeconds() - started
            try expectSlots(decoder, dst, source, pulls: pulls)

            let syncBase = base + 100_000
            try bindSlots(prompt, source, pulls: pulls, firstReq: syncBase)
            let syncSeconds = try syncPulls(decoder, dst, pulls: pulls, firstReq: syncBase)
            try expectSlots(decoder, dst, source, pulls: pulls)
            if trial > 0 {
                asyncRate.add(gbPerSecond(total, asyncSeconds))
                syncRate.add(gbPerSecond(total, syncSeconds))
            }
        }
        guard listedOnce else { throw BenchError("GET /v1/transfers?since= listed a transfer twice") }
        report.add(
            Figure(
                name,
                "\(pulls) async pulls of \(slotBytes / 1024) KiB, submitted at once, polled with since=",
                unit: "GB/s",
                value: asyncRate,
                baseline: ("same pulls synchronous from \(syncThreads) client threads", syncRate),
                target: .atLeast(0.8),
                note: "all done and verified; since= listed each exactly once"
            )
        )
    }

    /// A prompt cache of `pulls` slots of 64 KiB holding `source`, slot i bound to request `firstReq + i`, released
    /// by id (the consuming pulls free it).
    private static func bindSlots(
        _ prompt: NodeProcess,
        _ source: PinnedBuffer,
        pulls: Int,
        firstReq: UInt64
    ) throws(BenchError) {
        let keys = (0..<pulls).map { #"{"prompt_cluster_id":1,"req_id":\#(firstReq + UInt64($0))}"# }
        let answer = try prompt.admin.call(
            "POST",
            "/v1/cache",
            #"{"cache_desc":{"num_tensors":2,"shape":[\#(pulls),\#(slotBytes / 2)],"data_type":"DT_UINT8","placement":"DEVICE"},"cache_keys":[\#(keys.joined(separator: ","))]}"#
        )
        guard let src = answer["cache_id"]?.int64Value else { throw BenchError("allocate: \(answer.serialized)") }
        try prompt.fill(cache: src, tensors: 2, from: source)
        try prompt.admin.call("DELETE", "/v1/cache/\(src)")
    }

    /// The same pulls, synchronous, split over `syncThreads` client threads; wall seconds.
    private static func syncPulls(
        _ decoder: NodeProcess,
        _ dst: Int64,
        pulls: Int,
        firstReq: UInt64
    ) throws(BenchError) -> Double {
        let failure = Mutex<BenchError?>(nil)
        let admin = decoder.admin
        let started = monotonicSeconds()
        let threads = (0..<syncThreads).map { k in
            BenchThread {
                for i in stride(from: k, to: pulls, by: syncThreads) {
                    do throws(BenchError) {
                        let answer = try admin.call(
                            "POST",
                            "/v1/cache/\(dst)/pull",
                            #"{"cache_key":{"prompt_cluster_id":1,"req_id":\#(firstReq + UInt64(i))},"batch_index":\#(i),"timeout_ms":60000}"#
                        )
                        guard answer["status"]?.stringValue == "LLM_SUCCESS" else {
                            throw BenchError("sync pull \(i): \(answer.serialized)")
                        }
                    } catch {
                        failure.withLock { $0 = $0 ?? error }
                        return
                    }
                }
            }
        }
        for t in threads { t.join() }
        let seconds = monotonicSeconds() - started
        if let e = failure.withLock({ $0 }) { throw e }
        return seconds
    }

    /// The decoder's two tensors hold `source`: slot i of tensor t is source bytes of tensor t's slot i.
    private static func expectSlots(
        _ decoder: NodeProcess,
        _ dst: Int64,
        _ source: PinnedBuffer,
        pulls: Int
    ) throws(BenchError) {
        try expectSame(decoder, dst, source, tensors: 2, tensorBytes: pulls * slotBytes / 2)
    }
}
