/// Scenario 2: pull_blocks with shuffled src/dst block lists against the same blocks in order (one
/// contiguous run per tensor), interleaved.
enum ScatteredBlocksScenario {
    static let name = "scattered"
    static let blockBytes = 16 << 10

    static func run(_ env: BenchEnvironment, blocks: Int, report: inout Report) throws(BenchError) {
        print("\(name) 2 × \(blocks) × 16 KiB:")
        let tensorBytes = blocks * blockBytes
        let total = 2 * tensorBytes
        let source = try PinnedBuffer(count: total)
        source.fillRandom(seed: 77)
        let prompt = try NodeProcess(env, clusterID: 1, role: "prompt", pool: total + 64 * MiB)
        defer { prompt.stop() }
        let decoder = try NodeProcess(env, clusterID: 2, role: "decoder", pool: total + 64 * MiB)
        defer { decoder.stop() }
        try decoder.link(to: prompt)
        let src = try prompt.allocateBlocks(tensors: 2, blocks: blocks, blockBytes: blockBytes, key: true)
        try prompt.fill(cache: src, tensors: 2, from: source)
        let dst = try decoder.allocateBlocks(tensors: 2, blocks: blocks, blockBytes: blockBytes, key: false)

        let inOrder = Array(0..<blocks)
        let srcList = shuffled(blocks, seed: 1)
        let dstList = shuffled(blocks, seed: 2)
        // Warm-up (faults the destination pages) and a check that the scatter landed where asked.
        _ = try pull(decoder, dst, prompt, inOrder, inOrder)
        _ = try pull(decoder, dst, prompt, srcList, dstList)
        for i in stride(from: 0, to: blocks, by: max(1, blocks / 8)) {
            for t in 0..<2 {
                let got = try decoder.admin.download("/v1/cache/\(dst)/tensors/\(t)?block=\(dstList[i])")
                guard source.matches(got, at: t * tensorBytes + srcList[i] * blockBytes), got.count == blockBytes else {
                    throw BenchError(
                        "scattered pull: block \(dstList[i]) of tensor \(t) is not source block \(srcList[i])"
                    )
                }
            }
        }
        var contiguous = Samples()
        var scattered = Samples()
        for _ in 0..<env.trials {
            contiguous.add(gbPerSecond(total, try pull(decoder, dst, prompt, inOrder, inOrder)))
            scattered.add(gbPerSecond(total, try pull(decoder, dst, prompt, srcList, dstList)))
        }
        report.add(
            Figure(
                name,
                "pull_blocks 2 × \(blocks) × 16 KiB, shuffled lists",
                unit: "GB/s",
                value: scattered,
                baseline: ("same blocks in order (contiguous)", contiguous),
                target: .atLeast(0.8),
                note: "src_blocks_cache_key (blocks pulls never consume keys)"
            )
        )
    }

    private static func pull(
        _ decoder: NodeProcess,
        _ dst: Int64,
        _ prompt: NodeProcess,
        _ src: [Int],
        _ dstBlocks: [Int]
    ) throws(BenchError) -> Double {
        let body =
            #"{"src_blocks_cache_key":{"prompt_cluster_id":\#(prompt.clusterID),"model_id":0},"#
            + #""src_blocks":[\#(src.map(String.init).joined(separator: ","))],"#
            + #""dst_blocks":[\#(dstBlocks.map(String.init).joined(separator: ","))],"timeout_ms":120000}"#
        let started = monotonicSeconds()
        let answer = try decoder.admin.call("POST", "/v1/cache/\(dst)/pull_blocks", body)
        let seconds = monotonicSeconds() - started
        guard answer["status"]?.stringValue == "LLM_SUCCESS" else {
            throw BenchError("pull_blocks: \(answer.serialized)")
        }
        return seconds
    }
}
