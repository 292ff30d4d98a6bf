import DataDistModel
import Glibc

/// The machine and revision a run measured, for the JSON and the README.
enum Machine {
    static func describe() -> JSONValue {
        let cpuinfo = ProcStats.readText("/proc/cpuinfo") ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingSpaces } ?? "unknown"
        let memTotal =
            (ProcStats.readText("/proc/meminfo") ?? "").split(separator: "\n")
            .first { $0.hasPrefix("MemTotal:") }
            .map { String($0.dropFirst("MemTotal:".count)).trimmingSpaces } ?? "unknown"
        var u = utsname()
        uname(&u)
        let kernel = withUnsafeBytes(of: &u.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        return .object([
            "cpu_model": .string(model), "nproc": .int(Int64(sysconf(Int32(_SC_NPROCESSORS_ONLN)))),
            "mem_total": .string(memTotal), "kernel": .string(kernel),
        ])
    }

    /// One line for the table header.
    static func summary(_ m: JSONValue) -> String {
        "\(m["cpu_model"]?.stringValue ?? "?"), nproc \(m["nproc"]?.int64Value ?? 0), "
            + "MemTotal \(m["mem_total"]?.stringValue ?? "?"), Linux \(m["kernel"]?.stringValue ?? "?")"
    }

    /// `git rev-parse HEAD` of the working directory, or "unknown".
    static func revision(workDir: String) -> String {
        guard let git = findExecutable("git"),
            let (status, out) = try? ChildProcess.run(git, ["rev-parse", "HEAD"], outputPath: "\(workDir)/git.out"),
            status == 0
        else { return "unknown" }
        return out.trimmingSpaces
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
