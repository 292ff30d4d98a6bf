/// Runs `wrk --latency` and reads requests/s and the 99th percentile from its report.
enum Wrk {
    struct Outcome {
        let requestsPerSecond: Double
        let p99Ms: Double
    }

    static func run(_ env: BenchEnvironment, url: String, seconds: Int) throws(BenchError) -> Outcome {
        let (status, out) = try ChildProcess.run(
            try env.wrkPath(),
            ["-t1", "-c50", "-d\(seconds)s", "--latency", url],
            outputPath: "\(env.workDir)/wrk.out"
        )
        guard status == 0, let outcome = parse(out) else { throw BenchError("wrk failed (\(status)): \(out)") }
        return outcome
    }

    /// Parses `Requests/sec:` and the `99%` line of the latency distribution.
    static func parse(_ text: String) -> Outcome? {
        var rps: Double?
        var p99: Double?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.first == "Requests/sec:", parts.count >= 2 { rps = Double(parts[1]) }
            if parts.first == "99%", parts.count >= 2 { p99 = milliseconds(String(parts[1])) }
        }
        guard let rps, let p99 else { return nil }
        return Outcome(requestsPerSecond: rps, p99Ms: p99)
    }

    /// "812.00us" / "1.23ms" / "2.00s" → milliseconds.
    static func milliseconds(_ s: String) -> Double? {
        for (suffix, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where s.hasSuffix(suffix) {
            return Double(s.dropLast(suffix.count)).map { $0 * scale }
        }
        return nil
    }
}
