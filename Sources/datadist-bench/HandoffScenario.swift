import DataDistModel
import Glibc

/// Issue 9: a co-located engine hands KV to its node. The bench plays the engine: it writes `size` bytes into a
/// prompt's cache through the shared mapping of the pool file (`--shm-dir`, a `memcpy` from its own memory) and
/// through `PUT /v1/cache/{id}/tensors/{t}` over loopback, against a plain `memcpy` of the same bytes in one process,
/// interleaved; then a decoder pulls (the time until it has the bytes), from the shm-backed pool and from an
/// anonymous pool; and how much of each pool the kernel put in huge pages.
enum HandoffScenario {
    static let name = "handoff"

    private struct Nodes {
        let shmPrompt: NodeProcess
        let anonPrompt: NodeProcess
        let decoder: NodeProcess
    }

    private struct Trials {
        var memcpy = Samples()
        var shm = Samples()
        var put = Samples()
        var shmUntilPulled = Samples()
        var putUntilPulled = Samples()
        var pullShmPool = Samples()
        var pullAnonPool = Samples()
    }

    static func run(_ env: BenchEnvironment, size: Int, report: inout Report) throws(BenchError) {
        print("\(name) \(sizeName(size)):")
        let poolDir = "\(env.shmDir)/pools"
        guard mkdir(poolDir, 0o700) == 0 else {
            throw BenchError("cannot create \(poolDir): \(String(cString: strerror(errno)))")
        }
        let shm = ["--shm-dir", poolDir]
        let pool = size + 64 * MiB
        let shmPrompt = try NodeProcess(env, clusterID: 1, role: "prompt", pool: pool, extraArgs: shm)
        defer { shmPrompt.stop() }
        let anonPrompt = try NodeProcess(env, clusterID: 3, role: "prompt", pool: pool)
        defer { anonPrompt.stop() }
        let decoder = try NodeProcess(env, clusterID: 2, role: "decoder", pool: pool, extraArgs: shm)
        defer { decoder.stop() }
        try decoder.link(to: shmPrompt)
        try decoder.link(to: anonPrompt)
        try measure(env, Nodes(shmPrompt: shmPrompt, anonPrompt: anonPrompt, decoder: decoder), size, &report)
    }

    private static func measure(
        _ env: BenchEnvironment,
        _ nodes: Nodes,
        _ size: Int,
        _ report: inout Report
    ) throws(BenchError) {
        let source = try PinnedBuffer(count: size)
        source.fillRandom(seed: 0x5eed + UInt64(size))
        let copy = try PinnedBuffer(count: size)
        let srcShm = try nodes.shmPrompt.allocate(tensors: 2, tensorBytes: size / 2, reqID: 1)
        let srcAnon = try nodes.anonPrompt.allocate(tensors: 2, tensorBytes: size / 2, reqID: 1)
        let dst = try nodes.decoder.allocate(tensors: 2, tensorBytes: size / 2)
        let engine = try PoolFileMapping(cache: try nodes.shmPrompt.admin.call("GET", "/v1/cache/\(srcShm)"))
        let decoderView = try PoolFileMapping(cache: try nodes.decoder.admin.call("GET", "/v1/cache/\(dst)"))

        // Cold: the first write takes the pool file's pages (tmpfs) / fresh anonymous pages, once.
        let coldMemcpy = try coldCopy(source)
        let coldShm = timed { engine.write(from: source) }
        try nodes.anonPrompt.fill(cache: srcAnon, tensors: 2, from: source)

        // First pulls fault the decoder's pages in; check every byte through the decoder's own mapping.
        _ = try nodes.decoder.pullByID(into: dst, from: nodes.shmPrompt, cache: srcShm)
        try check(decoderView, source, "after the first pull from the shm-backed pool")
        memset(decoderView.tensors[0].baseAddress!, 0, decoderView.tensors[0].count)
        _ = try nodes.decoder.pullByID(into: dst, from: nodes.anonPrompt, cache: srcAnon)
        try check(decoderView, source, "after the first pull from the anonymous pool")

        var t = Trials()
        for _ in 0..<env.trials {
            t.memcpy.add(timed { memcpy(copy.base, source.base, size) })
            let w = timed { engine.write(from: source) }
            let p = try nodes.decoder.pullByID(into: dst, from: nodes.shmPrompt, cache: srcShm)
            t.shm.add(w)
            t.pullShmPool.add(gbPerSecond(size, p))
            t.shmUntilPulled.add((w + p) * 1000)

            let started = monotonicSeconds()
            try nodes.shmPrompt.fill(cache: srcShm, tensors: 2, from: source)
            let u = monotonicSeconds() - started
            let q = try nodes.decoder.pullByID(into: dst, from: nodes.shmPrompt, cache: srcShm)
            t.put.add(u)
            t.putUntilPulled.add((u + q) * 1000)

            t.pullAnonPool.add(
                gbPerSecond(size, try nodes.decoder.pullByID(into: dst, from: nodes.anonPrompt, cache: srcAnon))
            )
        }
        try check(decoderView, source, "after the trials")
        add(&report, t, size: size, cold: (coldShm, coldMemcpy))
        addHugePages(&report, nodes, poolPath: engine.path)
    }

    private static func add(_ report: inout Report, _ t: Trials, size: Int, cold: (shm: Double, memcpy: Double)) {
        func rate(_ s: Samples) -> Samples { Samples(s.values.map { gbPerSecond(size, $0) }) }
        let s = sizeName(size)
        let memcpy = ("memcpy in one process (warm pages)", rate(t.memcpy))
        report.add(
            Figure(
                name,
                "engine → node \(s) through the shared mapping (warm)",
                unit: "GB/s",
                value: rate(t.shm),
                baseline: memcpy,
                target: .atLeast(0.8),
                note: "the bench maps the prompt's pool file at the cache's offsets (MAP_SHARED) and memcpys 2 tensors"
            )
        )
        report.add(
            Figure(
                name,
                "engine → node \(s) through PUT /v1/cache/{id}/tensors/{t} over loopback",
                unit: "GB/s",
                value: rate(t.put),
                baseline: memcpy,
                note: "2 PUTs from the bench's memory (libcurl, keep-alive), into the same cache"
            )
        )
        report.add(
            Figure(
                name,
                "engine → node \(s): shared mapping vs PUT",
                unit: "GB/s",
                value: rate(t.shm),
                baseline: ("PUT over loopback", rate(t.put)),
                note: "the speed-up of the hand-off by memory over the hand-off by bytes"
            )
        )
        report.add(
            Figure(
                name,
                "engine writes \(s) → decoder has pulled it, through the shared mapping",
                unit: "ms",
                value: t.shmUntilPulled,
                baseline: ("the same through PUT", t.putUntilPulled),
                target: .atMost(1.0),
                note: "hand-off + POST /v1/cache/{id}/pull (cache_key_by_id, incl. CRC32C verify + ack)"
            )
        )
        report.add(
            Figure(
                name,
                "pull \(s) from a shm-backed pool (--shm-dir)",
                unit: "GB/s",
                value: t.pullShmPool,
                baseline: ("the same pull from an anonymous pool", t.pullAnonPool),
                target: .atLeast(0.9),
                note: "target ±10 % (the table checks the lower bound); same decoder and destination"
            )
        )
        report.add(
            Figure(
                name,
                "first engine write \(s) into a fresh pool file (pages taken)",
                unit: "GB/s",
                value: Samples([gbPerSecond(size, cold.shm)]),
                baseline: ("memcpy into fresh anonymous pages", Samples([gbPerSecond(size, cold.memcpy)])),
                note: "one sample each: tmpfs pages vs anonymous pages on first touch"
            )
        )
    }

    /// Does `MADV_HUGEPAGE` take effect? The share of each prompt pool's resident pages that are huge (PMD).
    private static func addHugePages(_ report: inout Report, _ nodes: Nodes, poolPath: String) {
        let setting = ProcStats.readText("/sys/kernel/mm/transparent_hugepage/shmem_enabled") ?? "?"
        let shm = HugePageShare.fileMapping(pid: nodes.shmPrompt.pid, path: poolPath)
        let anon = HugePageShare.largestAnonymous(pid: nodes.anonPrompt.pid)
        let note =
            "ShmemPmdMapped/Rss of the pool file's mapping in the node (\(shm?.rssKB ?? 0) kB resident) vs "
            + "AnonHugePages/Rss of the anonymous pool (\(anon?.rssKB ?? 0) kB); both pools are madvise(MADV_HUGEPAGE)d; "
            + "shmem_enabled: \(setting.split(separator: "\n").first ?? "?")"
        report.add(
            Figure(
                name,
                "huge pages in the shm-backed pool",
                unit: "%",
                value: Samples([shm?.percent ?? .nan]),
                baseline: ("huge pages in the anonymous pool", Samples([anon?.percent ?? .nan])),
                note: note
            )
        )
    }

    private static func check(_ view: PoolFileMapping, _ source: PinnedBuffer, _ when: String) throws(BenchError) {
        guard view.matches(source) else { throw BenchError("decoder's bytes differ from the engine's \(when)") }
    }

    /// A memcpy of `source` into fresh anonymous pages (freed at once: 512 MiB need not stay for the trials).
    private static func coldCopy(_ source: PinnedBuffer) throws(BenchError) -> Double {
        let fresh = try PinnedBuffer(count: source.count, prefault: false)
        return timed { memcpy(fresh.base, source.base, source.count) }
    }

    private static func timed(_ body: () -> Void) -> Double {
        let started = monotonicSeconds()
        body()
        return monotonicSeconds() - started
    }
}
