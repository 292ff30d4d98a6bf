import ArgumentParser
import DataDistModel
import Glibc
import HTTPServer

/// `datadist-bench`: starts real nodes on loopback and prints each figure next to a baseline measured in
/// the same run (DESIGN §5, issue 5).
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datadist-bench",
        abstract: "Benchmark datadist nodes against same-run baselines (raw TCP, nginx, libcurl)."
    )

    static let scenarios = [
        LargePullScenario.name, ScatteredBlocksScenario.name, FanOutScenario.name, ControlPlaneScenario.name,
        MemoryScenario.name, StartupScenario.name, CPUScenario.name, ScaleScenario.name,
        OrchestrationScenario.name, TLSScenario.name, HandoffScenario.name, AsyncScenario.name, RTTScenario.name,
    ]

    @Flag(help: "Smaller sizes and 3 trials (under 2 minutes).") var quick = false
    @Option(help: "Run only these scenarios (repeatable): \(scenarios.joined(separator: ", ")).") var scenario:
        [String] =
            []
    @Option(help: "Interleaved trials per figure. [default: 5, quick: 3]") var trials: Int?
    @Option(help: "Where the JSON results go.") var output = "bench-results.json"
    @Option(help: "The datadist binary. [default: next to this executable]") var datadist: String?

    func validate() throws {
        for s in scenario where !Self.scenarios.contains(s) {
            throw ValidationError("unknown scenario '\(s)' (known: \(Self.scenarios.joined(separator: ", ")))")
        }
        if let trials, trials < 1 { throw ValidationError("--trials must be at least 1") }
    }

    func run() throws {
        HTTPServer.ignoreSIGPIPE()
        let env = try BenchEnvironment(
            datadistPath: datadist ?? Self.siblingPath("datadist"),
            quick: quick,
            trials: trials ?? (quick ? 3 : 5)
        )
        defer { env.cleanUp() }
        let started = monotonicSeconds()
        let machine = Machine.describe()
        let revision = Machine.revision(workDir: env.workDir)
        print("datadist-bench \(quick ? "--quick" : "(full)"), \(env.trials) interleaved trials per figure")
        print("machine: \(Machine.summary(machine)); revision \(revision)")
        var report = Report()
        do {
            try runScenarios(env, report: &report)
        } catch {
            print("bench stopped: \(error)")
            report.notes.append("stopped early: \(error)")
        }
        let mode = quick ? "quick" : "full"
        report.notes.append("elapsed \(format(monotonicSeconds() - started)) s")
        try writeFile(
            output,
            report.json(machine: machine, revision: revision, mode: mode, trials: env.trials).serialized + "\n"
        )
        print("\n\(report.table)\n")
        print(
            "machine: \(Machine.summary(machine)); revision \(revision); \(mode), \(report.notes.joined(separator: "; "))"
        )
        print("results: \(output)")
        if report.notes.contains(where: { $0.hasPrefix("stopped early") }) { throw ExitCode(1) }
    }

    private func wants(_ name: String) -> Bool { scenario.isEmpty || scenario.contains(name) }

    private func runScenarios(_ env: BenchEnvironment, report: inout Report) throws(BenchError) {
        let largest = quick ? 256 * MiB : GiB
        var cost: LargePullScenario.CPUCost?
        if wants(LargePullScenario.name) {
            cost = try LargePullScenario.run(env, sizes: quick ? [256 * MiB] : [256 * MiB, GiB], report: &report)
        }
        if wants(ScatteredBlocksScenario.name) { try ScatteredBlocksScenario.run(env, blocks: 4096, report: &report) }
        if wants(FanOutScenario.name) {
            try FanOutScenario.run(env, keyBytes: quick ? 16 * MiB : 64 * MiB, report: &report)
        }
        if wants(ControlPlaneScenario.name) { try ControlPlaneScenario.run(env, report: &report) }
        if wants(MemoryScenario.name) { try MemoryScenario.run(env, pullBytes: largest, report: &report) }
        if wants(StartupScenario.name) { try StartupScenario.run(env, report: &report) }
        if wants(ScaleScenario.name) {
            try ScaleScenario.run(env, keyBytes: quick ? 64 * MiB : 256 * MiB, largeBytes: largest, report: &report)
        }
        if wants(OrchestrationScenario.name) { try OrchestrationScenario.run(env, report: &report) }
        if wants(CPUScenario.name) {
            if cost == nil {
                var scratch = Report()
                cost = try LargePullScenario.run(env, sizes: [largest], report: &scratch)
            }
            if let cost { CPUScenario.report(cost, report: &report) }
        }
        if wants(TLSScenario.name) { try TLSScenario.run(env, size: quick ? 64 * MiB : 256 * MiB, report: &report) }
        if wants(HandoffScenario.name) {
            try HandoffScenario.run(env, size: quick ? 64 * MiB : 512 * MiB, report: &report)
        }
        if wants(AsyncScenario.name) { try AsyncScenario.run(env, report: &report) }
        if wants(RTTScenario.name) { try RTTScenario.run(env, size: quick ? 64 * MiB : 256 * MiB, report: &report) }
    }

    /// `name` in the directory of this executable.
    static func siblingPath(_ name: String) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return name }
        let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return name }
        return String(path[..<slash]) + "/" + name
    }
}
