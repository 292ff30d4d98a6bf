import DataDistModel
import Glibc
import Synchronization

/// Scenario `async` (issue 10, CONTRACT §11): (a) a progressive pull that hides behind the prompt's layer writes,
/// (b) 1000 asynchronous pulls in flight on one decoder against the same pulls issued synchronously, (c) 10 000 key
/// leases expiring on time. Needs no nginx or wrk.
enum AsyncScenario {
    static let name = "async"
    static let layers = 40
    /// The prompt "writes" all layers in this long: one layer becomes ready every `writeSeconds / layers`.
    static let writeSeconds = 0.2

    static func run(_ env: BenchEnvironment, report: inout Report) throws(BenchError) {
        try progressive(env, slotBytes: env.quick ? 64 * MiB : 256 * MiB, report: &report)
        try manyPulls(env, pulls: 1000, report: &report)
        try leases(env, keys: 10_000, report: &report)
    }

    /// (a) One slot of `layers` × (K, V) made ready one layer every 5 ms while a decoder's asynchronous pull of it
    /// runs: from the last `ready` to the decoder's verified completion, against one layer pulled alone and against
    /// the whole slot pulled (not progressively) after the last layer.
    static func progressive(_ env: BenchEnvironment, slotBytes: Int, report: inout Report) throws(BenchError) {
        let tensors = 2 * layers
        let tensorBytes = slotBytes / tensors / 4096 * 4096
        let total = tensors * tensorBytes
        print("\(name) progressive: \(layers) layers × 2 × \(format(Double(tensorBytes) / Double(MiB))) MiB:")
        let source = try PinnedBuffer(count: total)
        source.fillRandom(seed: 1010)
        let prompt = try NodeProcess(env, clusterID: 1, role: "prompt", pool: 3 * total + 64 * MiB)
        defer { prompt.stop() }
        let decoder = try NodeProcess(env, clusterID: 2, role: "decoder", pool: total + 2 * tensorBytes + 64 * MiB)
        defer { decoder.stop() }
        try decoder.link(to: prompt)

        let plain = try prompt.allocate(tensors: tensors, tensorBytes: tensorBytes)
        try prompt.fill(cache: plain, tensors: tensors, from: source)
        let oneLayer = try prompt.allocate(tensors: 2, tensorBytes: tensorBytes)
        try uploadTensors(prompt, oneLayer, source, first: 0, count: 2, tensorBytes: tensorBytes)
        let dst = try decoder.allocate(tensors: tensors, tensorBytes: tensorBytes)
        let layerDst = try decoder.allocate(tensors: 2, tensorBytes: tensorBytes)
        _ = try decoder.pullByID(into: dst, from: prompt, cache: plain)  // faults the destinations in
        _ = try decoder.pullByID(into: layerDst, from: prompt, cache: oneLayer)

        var afterLast = Samples()
        var layerAlone = Samples()
        var wholeAfter = Samples()
        for trial in 0..<env.trials {
            layerAlone.add(try decoder.pullByID(into: layerDst, from: prompt, cache: oneLayer) * 1000)
            afterLast.add(
                try progressivePull(
                    prompt,
                    decoder,
                    dst,
                    source,
                    reqID: UInt64(100 + trial),
                    tensorBytes: tensorBytes
                ) * 1000
            )
            wholeAfter.add(try decoder.pullByID(into: dst, from: prompt, cache: plain) * 1000)
        }
        try expectSame(decoder, dst, source, tensors: tensors, tensorBytes: tensorBytes)
        let what = "progressive pull of \(sizeName(total)): last ready → verified done"
        let note = "a layer ready every \(format(writeSeconds * 1000 / Double(layers))) ms; async pull by key"
        report.add(
            Figure(
                name,
                what,
                unit: "ms",
                value: afterLast,
                baseline: ("one layer (2 tensors) pulled alone", layerAlone),
                target: .atMost(2),
                note: note
            )
        )
        report.add(
            Figure(
                name,
                what,
                unit: "ms",
                value: afterLast,
                baseline: ("whole slot pulled after the last layer", wholeAfter),
                note: note
            )
        )
    }

    /// One trial of (a): a fresh progressive cache bound to `reqID`, its bytes written, an asynchronous pull of it
    /// submitted, then its layers declared ready one by one. Seconds from the last `ready` call to the decoder's
    /// verified completion (a long poll on its own thread answers the moment the transfer ends).
    private static func progressivePull(
        _ prompt: NodeProcess,
        _ decoder: NodeProcess,
        _ dst: Int64,
        _ source: PinnedBuffer,
        reqID: UInt64,
        tensorBytes: Int
    ) throws(BenchError) -> Double {
        let tensors = 2 * layers
        let answer = try prompt.admin.call(
            "POST",
            "/v1/cache",
            #"{"cache_desc":{"num_tensors":\#(tensors),"shape":[1,\#(tensorBytes)],"data_type":"DT_UINT8","placement":"DEVICE"},"cache_keys":[{"prompt_cluster_id":1,"req_id":\#(reqID)}],"progressive":true}"#
        )
        guard let src = answer["cache_id"]?.int64Value else { throw BenchError("allocate: \(answer.serialized)") }
        try prompt.fill(cache: src, tensors: tensors, from: source)
        try prompt.admin.call("DELETE", "/v1/cache/\(src)")  // released: the consuming pull frees it
        let submitted = try decoder.admin.call(
            "POST",
            "/v1/transfers",
            #"{"op":"pull","cache_id":\#(dst),"cache_key":{"prompt_cluster_id":1,"req_id":\#(reqID)},"timeout_ms":60000}"#
        )
        guard let id = submitted["transfer_id"]?.stringValue else {
            throw BenchError("submit: \(submitted.serialized)")
        }
        let ended = Mutex<(Double, Result<JSONValue, BenchError>)?>(nil)
        let admin = decoder.admin
        let waiter = BenchThread {
            let r = Result { () throws(BenchError) in try admin.call("GET", "/v1/transfers/\(id)?wait_ms=60000") }
            let at = monotonicSeconds()
            ended.withLock { $0 = (at, r) }
        }
        let step = writeSeconds / Double(layers)
        let start = monotonicSeconds()
        var lastReady = start
        for layer in 1...layers {
            let due = start + Double(layer) * step
            while monotonicSeconds() < due { usleep(200) }  // the engine's pace: one layer per step
            lastReady = monotonicSeconds()
            try prompt.admin.call("POST", "/v1/cache/\(src)/ready", #"{"batch_index":0,"layers":\#(layer)}"#)
        }
        waiter.join()
        guard let (doneAt, result) = ended.withLock({ $0 }) else { throw BenchError("the long poll never answered") }
        let record = try result.get()
        guard record["state"]?.stringValue == "done",
            record["bytes_done"]?.int64Value == Int64(tensors * tensorBytes)
        else { throw BenchError("progressive pull: \(record.serialized)") }
        return doneAt - lastReady
    }

    /// Writes `count` tensors of `source` starting at tensor `first` into tensors 0..<count of `cache`.
    static func uploadTensors(
        _ node: NodeProcess,
        _ cache: Int64,
        _ source: PinnedBuffer,
        first: Int,
        count: Int,
        tensorBytes: Int
    ) throws(BenchError) {
        for t in 0..<count {
            try node.admin.upload(
                "/v1/cache/\(cache)/tensors/\(t)",
                UnsafeRawBufferPointer(start: source.base + (first + t) * tensorBytes, count: tensorBytes)
            )
        }
    }

    /// Reads every tensor of `cache` back and compares it with `source`.
    static func expectSame(
        _ node: NodeProcess,
        _ cache: Int64,
        _ source: PinnedBuffer,
        tensors: Int,
        tensorBytes: Int
    ) throws(BenchError) {
        let chunk = 4 * MiB  // the bench client's largest body
        for t in 0..<tensors {
            for offset in stride(from: 0, to: tensorBytes, by: chunk) {
                let size = min(chunk, tensorBytes - offset)
                let got = try node.read(cache: cache, tensor: t, offset: offset, size: size)
                guard got.count == size, source.matches(got, at: t * tensorBytes + offset) else {
                    throw BenchError("cache \(cache) tensor \(t) differs from what was written at \(offset)")
                }
            }
        }
    }
}
