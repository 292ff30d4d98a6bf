import DataDistModel
import Glibc

/// All figures of a run: the stdout table and `bench-results.json`.
struct Report {
    var figures: [Figure] = []
    var notes: [String] = []

    mutating func add(_ f: Figure) {
        figures.append(f)
        print("  \(f.name): \(spread(f.value)) \(f.unit)" + (f.ratio.map { " — ratio \(spread($0))" } ?? ""))
        fflush(nil)  // progress shows at once when stdout is a pipe (make, tee)
    }

    /// A markdown table (it also reads well on a terminal).
    var table: String {
        var lines = [
            "| scenario | figure | value: median (min–max) | baseline (same run) | baseline value | ratio | target | met |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for f in figures {
            let base = f.baseline.map { "\(spread($0)) \(f.unit)" } ?? "—"
            let met = f.met.map { $0 ? "yes" : "**no**" } ?? "—"
            lines.append(
                "| \(f.scenario) | \(f.name) | \(spread(f.value)) \(f.unit) | \(f.baselineName ?? "—") | \(base) | "
                    + "\(f.ratio.map(spread) ?? "—") | \(f.target?.text(unit: f.judgesValue ? f.unit : nil) ?? "—") | \(met) |"
            )
        }
        return lines.joined(separator: "\n")
    }

    func json(machine: JSONValue, revision: String, mode: String, trials: Int) -> JSONValue {
        func samples(_ s: Samples) -> JSONValue {
            .object([
                "median": .double(s.median), "min": .double(s.min), "max": .double(s.max),
                "samples": .array(s.values.map { .double($0) }),
            ])
        }
        let items: [JSONValue] = figures.map { f in
            var o: JSONObject = [
                "scenario": .string(f.scenario), "name": .string(f.name), "unit": .string(f.unit),
                "value": samples(f.value),
            ]
            if let b = f.baseline, let n = f.baselineName {
                o["baseline"] = .object(["name": .string(n), "value": samples(b)])
            }
            if let r = f.ratio { o["ratio"] = samples(r) }
            if let t = f.target { o["target"] = .string(t.text(unit: f.judgesValue ? f.unit : nil)) }
            if let m = f.met { o["met"] = .bool(m) }
            if !f.note.isEmpty { o["note"] = .string(f.note) }
            return .object(o)
        }
        return .object([
            "machine": machine, "git_revision": .string(revision), "mode": .string(mode),
            "trials": .int(Int64(trials)), "figures": .array(items), "notes": .array(notes.map { .string($0) }),
        ])
    }
}

/// Writes `text` to `path`.
func writeFile(_ path: String, _ text: String) throws(BenchError) {
    guard let f = fopen(path, "w") else { throw BenchError("cannot write \(path)") }
    fputs(text, f)
    fclose(f)
}
