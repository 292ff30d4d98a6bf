/// One reported figure: the candidate's trials, the same-run baseline's trials, their ratio and the target.
struct Figure: Sendable {
    enum Target: Sendable {
        /// The ratio (or the value, without a baseline) must be at least this.
        case atLeast(Double)
        /// The ratio (or the value, without a baseline) must be at most this.
        case atMost(Double)

        func holds(_ x: Double) -> Bool {
            switch self {
            case .atLeast(let t): x >= t
            case .atMost(let t): x <= t
            }
        }

        var text: String {
            switch self {
            case .atLeast(let t): "≥ \(format(t))"
            case .atMost(let t): "≤ \(format(t))"
            }
        }

        func text(unit: String?) -> String { unit.map { "\(text) \($0)" } ?? "\(text)×" }
    }

    var scenario: String
    var name: String
    var unit: String
    var value: Samples
    var baselineName: String?
    var baseline: Samples?
    /// Paired per-trial ratios (value[i] / baseline[i]); falls back to the ratio of medians when unpaired.
    var ratio: Samples?
    var target: Target?
    /// The target applies to the value itself (an absolute limit), not to the ratio.
    var judgesValue = false
    var note: String = ""

    init(
        _ scenario: String,
        _ name: String,
        unit: String,
        value: Samples,
        baseline: (String, Samples)? = nil,
        paired: Bool = true,
        target: Target? = nil,
        judgesValue: Bool = false,
        note: String = ""
    ) {
        self.judgesValue = judgesValue
        self.scenario = scenario
        self.name = name
        self.unit = unit
        self.value = value
        self.target = target
        self.note = note
        if let (bn, b) = baseline {
            baselineName = bn
            self.baseline = b
            ratio =
                paired && b.values.count == value.values.count
                ? value.ratios(to: b) : Samples([value.median / b.median])
        }
    }

    /// The number the target applies to: the ratio when there is a baseline, else the value.
    var judged: Double { judgesValue ? value.median : ratio?.median ?? value.median }

    var met: Bool? { target.map { $0.holds(judged) } }
}

/// A number with 3 significant-ish digits for tables.
func format(_ x: Double) -> String {
    guard x.isFinite else { return "n/a" }
    let a = abs(x)
    let digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3
    var s = String(Int((x * pow10(digits)).rounded()))
    if digits > 0 {
        let negative = s.hasPrefix("-")
        if negative { s.removeFirst() }
        while s.count <= digits { s = "0" + s }
        s.insert(".", at: s.index(s.endIndex, offsetBy: -digits))
        if negative { s = "-" + s }
    }
    return s
}

private func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { a, _ in a * 10 } }

/// "median (min–max)" of samples; just the value when there is one sample.
func spread(_ s: Samples) -> String {
    s.values.count > 1 ? "\(format(s.median)) (\(format(s.min))–\(format(s.max)))" : format(s.median)
}
