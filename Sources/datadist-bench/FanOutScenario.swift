import Synchronization

/// Scenario 3: 8 decoders each pulling a different key of one prompt at once, against one decoder pulling
/// the same total bytes in one pull; fairness as slowest vs median.
enum FanOutScenario {
    static let name = "fan-out"
    static let decoders = 8

    static func run(_ env: BenchEnvironment, keyBytes: Int, report: inout Report) throws(BenchError) {
        print("\(name) \(decoders) × \(sizeName(keyBytes)):")
        let total = decoders * keyBytes
        let source = try PinnedBuffer(count: total)
        source.fillRandom(seed: 88)
        let prompt = try NodeProcess(env, clusterID: 1, role: "prompt", pool: 2 * total + 64 * MiB)
        defer { prompt.stop() }
        var nodes: [NodeProcess] = []
        defer { for n in nodes { n.stop() } }
        for i in 0..<decoders {
            let pool = (i == 0 ? keyBytes + total : keyBytes) + 16 * MiB
            let d = try NodeProcess(env, clusterID: UInt64(10 + i), role: "decoder", pool: pool)
            nodes.append(d)
            try d.link(to: prompt)
        }
        var keys: [(src: Int64, dst: Int64)] = []
        for (i, d) in nodes.enumerated() {
            let src = try prompt.allocate(tensors: 2, tensorBytes: keyBytes / 2, reqID: UInt64(100 + i))
            try prompt.fill(
                cache: src,
                tensors: 2,
                from: try slice(source, offset: i * keyBytes, count: keyBytes)
            )
            keys.append((src, try d.allocate(tensors: 2, tensorBytes: keyBytes / 2)))
        }
        let bigSrc = try prompt.allocate(tensors: 2, tensorBytes: total / 2, reqID: 999)
        try prompt.fill(cache: bigSrc, tensors: 2, from: source)
        let bigDst = try nodes[0].allocate(tensors: 2, tensorBytes: total / 2)

        // Warm-up: faults every destination in.
        _ = try nodes[0].pullByID(into: bigDst, from: prompt, cache: bigSrc)
        _ = try concurrent(nodes, keys, prompt)
        var single = Samples()
        var aggregate = Samples()
        var slowest = Samples()
        var median = Samples()
        for _ in 0..<env.trials {
            single.add(gbPerSecond(total, try nodes[0].pullByID(into: bigDst, from: prompt, cache: bigSrc)))
            let (wall, each) = try concurrent(nodes, keys, prompt)
            aggregate.add(gbPerSecond(total, wall))
            slowest.add(each.max * 1000)
            median.add(each.median * 1000)
        }
        report.add(
            Figure(
                name,
                "aggregate of \(decoders) concurrent \(sizeName(keyBytes)) pulls",
                unit: "GB/s",
                value: aggregate,
                baseline: ("one pull of \(sizeName(total))", single),
                target: .atLeast(0.9),
                note: "by cache_key_by_id; \(decoders) decoder processes, one prompt"
            )
        )
        report.add(
            Figure(
                name,
                "slowest of \(decoders) concurrent pulls",
                unit: "ms",
                value: slowest,
                baseline: ("median of the \(decoders)", median),
                target: .atMost(3)
            )
        )
    }

    /// A pinned copy of part of `source` (uploads take whole buffers).
    private static func slice(_ source: PinnedBuffer, offset: Int, count: Int) throws(BenchError) -> PinnedBuffer {
        let b = try PinnedBuffer(count: count)
        b.base.copyMemory(from: source.base + offset, byteCount: count)
        return b
    }

    /// All decoders pull at once: wall seconds and each pull's seconds.
    private static func concurrent(
        _ nodes: [NodeProcess],
        _ keys: [(src: Int64, dst: Int64)],
        _ prompt: NodeProcess
    )
        throws(BenchError) -> (Double, Samples)
    {
        let results = Mutex<[Int: Result<Double, BenchError>]>([:])
        let started = monotonicSeconds()
        let threads = nodes.enumerated().map { i, d in
            let k = keys[i]
            return BenchThread {
                let r = Result { () throws(BenchError) in try d.pullByID(into: k.dst, from: prompt, cache: k.src) }
                results.withLock { $0[i] = r }
            }
        }
        for t in threads { t.join() }
        let wall = monotonicSeconds() - started
        var each = Samples()
        for r in results.withLock({ $0 }).sorted(by: { $0.key < $1.key }) { each.add(try r.value.get()) }
        return (wall, each)
    }
}
