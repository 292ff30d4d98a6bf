/// Scenario 1 (and 7): prompt → decoder pull of 2 tensors, against raw loopback TCP and nginx → libcurl,
/// interleaved; CPU seconds per GB on each side.
enum LargePullScenario {
    static let name = "large-pull"

    /// Per-trial CPU seconds per GB of the largest size, for the CPU scenario.
    struct CPUCost {
        var bytes = 0
        var prompt = Samples()
        var decoder = Samples()
        var nginx = Samples()
        var curlClient = Samples()
        var rawSender = Samples()
        var rawReceiver = Samples()
    }

    static func run(_ env: BenchEnvironment, sizes: [Int], report: inout Report) throws(BenchError) -> CPUCost {
        var cost = CPUCost()
        for size in sizes {
            cost = try runOne(env, size: size, report: &report)
        }
        return cost
    }

    private static func runOne(_ env: BenchEnvironment, size: Int, report: inout Report) throws(BenchError) -> CPUCost {
        print("\(name) \(sizeName(size)):")
        let source = try PinnedBuffer(count: size)
        source.fillRandom(seed: UInt64(size))
        let destination = try PinnedBuffer(count: size)
        let blob = "blob-\(size)"
        try CurlPullBaseline.publish(source.bytes, as: blob, env: env)
        let nginx = try NginxServer(env)
        defer { nginx.stop() }
        let prompt = try NodeProcess(env, clusterID: 1, role: "prompt", pool: size + 64 * MiB)
        defer { prompt.stop() }
        let decoder = try NodeProcess(env, clusterID: 2, role: "decoder", pool: size + 64 * MiB)
        defer { decoder.stop() }
        try decoder.link(to: prompt)
        let src = try prompt.allocate(tensors: 2, tensorBytes: size / 2, reqID: 1)
        try prompt.fill(cache: src, tensors: 2, from: source)
        let dst = try decoder.allocate(tensors: 2, tensorBytes: size / 2)

        // Cold: the first pull faults the decoder's destination pages in.
        let cold = try decoder.pullByID(into: dst, from: prompt, cache: src)
        let rawCold = try RawTCPBaseline.transfer(source, into: try PinnedBuffer(count: size, prefault: false))
        try verify(decoder, cache: dst, size: size, source: source)
        _ = try RawTCPBaseline.transfer(source, into: destination)
        _ = try CurlPullBaseline.pull(blob, port: nginx.port, into: destination, env: env)

        var node = Samples()
        var raw = Samples()
        var curl = Samples()
        var cost = CPUCost(bytes: size)
        let gb = Double(size) / 1e9
        for _ in 0..<env.trials {
            let r = try RawTCPBaseline.transfer(source, into: destination)
            raw.add(gbPerSecond(size, r.seconds))
            cost.rawSender.add(r.senderCPU / gb)
            cost.rawReceiver.add(r.receiverCPU / gb)

            let n0 = nginx.cpuSeconds
            let c = try CurlPullBaseline.pull(blob, port: nginx.port, into: destination, env: env)
            curl.add(gbPerSecond(size, c.seconds))
            cost.nginx.add((nginx.cpuSeconds - n0) / gb)
            cost.curlClient.add(c.clientCPU / gb)

            let p0 = prompt.cpuSeconds
            let d0 = decoder.cpuSeconds
            let seconds = try decoder.pullByID(into: dst, from: prompt, cache: src)
            node.add(gbPerSecond(size, seconds))
            cost.prompt.add((prompt.cpuSeconds - p0) / gb)
            cost.decoder.add((decoder.cpuSeconds - d0) / gb)
        }
        let label = "pull \(sizeName(size)), 2 tensors (warm)"
        let how = "by cache_key_by_id (does not consume); wall time of POST /v1/cache/{id}/pull incl. verify + ack"
        report.add(
            Figure(
                name,
                label,
                unit: "GB/s",
                value: node,
                baseline: ("raw loopback TCP", raw),
                target: .atLeast(0.85),
                note: how
            )
        )
        report.add(
            Figure(
                name,
                label,
                unit: "GB/s",
                value: node,
                baseline: ("nginx sendfile → libcurl", curl),
                target: .atLeast(1.0),
                note: how
            )
        )
        report.add(
            Figure(
                name,
                "pull \(sizeName(size)) cold (first pull, pages faulted)",
                unit: "GB/s",
                value: Samples([gbPerSecond(size, cold)]),
                baseline: ("raw loopback TCP into fresh pages", Samples([gbPerSecond(size, rawCold.seconds)])),
                note: "one sample each: the first pull into a fresh destination"
            )
        )
        return cost
    }

    /// Reads back 1 MiB at the start, middle and end of each tensor and compares with the source.
    static func verify(_ decoder: NodeProcess, cache: Int64, size: Int, source: PinnedBuffer) throws(BenchError) {
        let tensor = size / 2
        let piece = min(MiB, tensor)
        for t in 0..<2 {
            for offset in [0, (tensor / 2) & ~4095, tensor - piece] {
                let got = try decoder.read(cache: cache, tensor: t, offset: offset, size: piece)
                guard source.matches(got, at: t * tensor + offset) else {
                    throw BenchError("pulled bytes differ from the source (tensor \(t), offset \(offset))")
                }
            }
        }
    }
}
