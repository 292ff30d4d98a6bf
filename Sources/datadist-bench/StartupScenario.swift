/// Scenario 6: process start to the first `/healthz` 200, against nginx start to its first 200.
enum StartupScenario {
    static let name = "startup"

    static func run(_ env: BenchEnvironment, report: inout Report) throws(BenchError) {
        print("\(name):")
        var node = Samples()
        var nginx = Samples()
        for _ in 0..<max(env.trials, 5) {
            let n = try NginxServer(env)
            nginx.add(n.startupSeconds * 1000)
            n.stop()
            let d = try NodeProcess(env, clusterID: 1, role: "prompt", pool: GiB)
            node.add(d.startupSeconds * 1000)
            d.stop()
        }
        report.add(
            Figure(
                name,
                "datadist serve (prompt, 1 GiB pool) to /healthz 200",
                unit: "ms",
                value: node,
                baseline: ("nginx start to first 200", nginx),
                note: "spawn to first 200, polled every 0.5 ms; no target in issue 5"
            )
        )
    }
}
