/// Scenario 4: `GET /v1/role` under wrk against nginx's fixed JSON, and `PUT /v1/role` round trips
/// (DECODER → PROMPT → DECODER: listener bind and close included) against two GETs on the same client.
enum ControlPlaneScenario {
    static let name = "control-plane"

    static func run(_ env: BenchEnvironment, report: inout Report) throws(BenchError) {
        print("\(name):")
        let seconds = env.quick ? 2 : 5
        let nginx = try NginxServer(env)
        defer { nginx.stop() }
        let node = try NodeProcess(env, clusterID: 1, role: "decoder", pool: 64 * MiB, switchRole: true)
        defer { node.stop() }
        let nodeURL = "http://127.0.0.1:\(node.admin.port)/v1/role"
        let nginxURL = "http://127.0.0.1:\(nginx.port)/v1/role"
        _ = try Wrk.run(env, url: nodeURL, seconds: 1)
        _ = try Wrk.run(env, url: nginxURL, seconds: 1)
        var rps = Samples()
        var p99 = Samples()
        var nginxRPS = Samples()
        var nginxP99 = Samples()
        for _ in 0..<env.trials {
            let n = try Wrk.run(env, url: nginxURL, seconds: seconds)
            nginxRPS.add(n.requestsPerSecond)
            nginxP99.add(n.p99Ms)
            let d = try Wrk.run(env, url: nodeURL, seconds: seconds)
            rps.add(d.requestsPerSecond)
            p99.add(d.p99Ms)
        }
        let how = "wrk -t1 -c50 -d\(seconds)s --latency"
        report.add(
            Figure(
                name,
                "GET /v1/role requests/s",
                unit: "req/s",
                value: rps,
                baseline: ("nginx fixed JSON", nginxRPS),
                target: .atLeast(0.5),
                note: how
            )
        )
        report.add(
            Figure(
                name,
                "GET /v1/role p99",
                unit: "ms",
                value: p99,
                baseline: ("nginx fixed JSON", nginxP99),
                target: .atMost(3),
                note: how
            )
        )
        try roleSwitches(env, node, report: &report)
    }

    private static func roleSwitches(
        _ env: BenchEnvironment,
        _ node: NodeProcess,
        report: inout Report
    )
        throws(BenchError)
    {
        let perTrial = env.quick ? 30 : 100
        let listen = "127.0.0.1:\(try Loopback.freePort())"
        let toPrompt = #"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"\#(listen)"}}"#
        let toDecoder = #"{"role":"DECODER"}"#
        var p50 = Samples()
        var p99 = Samples()
        var getP50 = Samples()
        var getP99 = Samples()
        for _ in 0..<env.trials {
            var trips = Samples()
            var gets = Samples()
            for _ in 0..<perTrial {
                var t = monotonicSeconds()
                try node.admin.call("GET", "/v1/role")
                try node.admin.call("GET", "/v1/role")
                gets.add((monotonicSeconds() - t) * 1000)
                t = monotonicSeconds()
                try node.admin.call("PUT", "/v1/role", toPrompt)
                try node.admin.call("PUT", "/v1/role", toDecoder)
                trips.add((monotonicSeconds() - t) * 1000)
            }
            p50.add(trips.percentile(50))
            p99.add(trips.percentile(99))
            getP50.add(gets.percentile(50))
            getP99.add(gets.percentile(99))
        }
        let how = "\(perTrial) round trips per trial, one keep-alive libcurl connection; no target in issue 5"
        report.add(
            Figure(
                name,
                "PUT /v1/role DECODER→PROMPT→DECODER p50",
                unit: "ms",
                value: p50,
                baseline: ("2 × GET /v1/role", getP50),
                note: how
            )
        )
        report.add(
            Figure(
                name,
                "PUT /v1/role DECODER→PROMPT→DECODER p99",
                unit: "ms",
                value: p99,
                baseline: ("2 × GET /v1/role", getP99),
                note: how
            )
        )
    }
}
