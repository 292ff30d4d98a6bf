import Glibc
import Synchronization

/// Scenario 5: idle RSS of a fresh node (pool pages untouched) and RSS growth of the decoder (and the
/// prompt) during a cold pull, against the destination pages + 32 MiB.
enum MemoryScenario {
    static let name = "memory"

    static func run(_ env: BenchEnvironment, pullBytes: Int, report: inout Report) throws(BenchError) {
        print("\(name) (pull \(sizeName(pullBytes))):")
        let source = try PinnedBuffer(count: pullBytes)
        source.fillRandom(seed: 99)
        let prompt = try NodeProcess(env, clusterID: 1, role: "prompt", pool: pullBytes + 64 * MiB)
        defer { prompt.stop() }
        let src = try prompt.allocate(tensors: 2, tensorBytes: pullBytes / 2, reqID: 1)
        try prompt.fill(cache: src, tensors: 2, from: source)

        var idle = Samples()
        var nginxIdle = Samples()
        var growth = Samples()
        var limit = Samples()
        var promptGrowth = Samples()
        for trial in 0..<env.trials {
            let nginx = try NginxServer(env)
            usleep(200_000)
            nginxIdle.add(Double(ProcStats.rssBytes(nginx.process.pid) ?? 0) / Double(MiB))
            nginx.stop()

            let decoder = try NodeProcess(
                env,
                clusterID: UInt64(2 + trial),
                role: "decoder",
                pool: pullBytes + 64 * MiB
            )
            defer { decoder.stop() }
            usleep(200_000)
            idle.add(Double(decoder.rssBytes) / Double(MiB))
            try decoder.link(to: prompt)
            let dst = try decoder.allocate(tensors: 2, tensorBytes: pullBytes / 2)
            let before = (decoder.rssBytes, prompt.rssBytes)
            let peak = Mutex<(Int, Int)>(before)
            let running = Atomic<Bool>(true)
            let sampler = BenchThread {
                while running.load(ordering: .relaxed) {
                    let now = (decoder.rssBytes, prompt.rssBytes)
                    peak.withLock { $0 = (max($0.0, now.0), max($0.1, now.1)) }
                    usleep(1000)
                }
            }
            let result = Result { () throws(BenchError) in try decoder.pullByID(into: dst, from: prompt, cache: src) }
            running.store(false, ordering: .relaxed)
            sampler.join()
            _ = try result.get()
            let after = (decoder.rssBytes, prompt.rssBytes)
            let (pd, pp) = peak.withLock { ($0.0, $0.1) }
            growth.add(Double(max(pd, after.0) - before.0) / Double(MiB))
            promptGrowth.add(Double(max(pp, after.1) - before.1) / Double(MiB))
            limit.add(Double(pullBytes + 32 * MiB) / Double(MiB))
        }
        report.add(
            Figure(
                name,
                "idle RSS of a fresh decoder node",
                unit: "MiB",
                value: idle,
                baseline: ("idle nginx (1 process)", nginxIdle),
                target: .atMost(30),
                judgesValue: true,
                note: "VmRSS 200 ms after /healthz 200; pool reserved with MAP_NORESERVE, untouched"
            )
        )
        report.add(
            Figure(
                name,
                "decoder RSS growth during a cold \(sizeName(pullBytes)) pull",
                unit: "MiB",
                value: growth,
                baseline: ("destination pages + 32 MiB", limit),
                target: .atMost(1.0),
                note: "peak VmRSS sampled every ms minus VmRSS before the pull"
            )
        )
        report.add(
            Figure(
                name,
                "prompt RSS growth during the same pull",
                unit: "MiB",
                value: promptGrowth,
                target: .atMost(32),
                judgesValue: true,
                note: "source pages were already resident (written before)"
            )
        )
    }
}
