/// Trial measurements of one quantity: median and spread.
struct Samples: Sendable {
    var values: [Double] = []

    init(_ values: [Double] = []) { self.values = values }

    mutating func add(_ v: Double) { values.append(v) }

    var median: Double { percentile(50) }
    var min: Double { values.min() ?? .nan }
    var max: Double { values.max() ?? .nan }

    /// Nearest-rank percentile (p in 0...100); NaN when empty.
    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        if p == 50, sorted.count % 2 == 0 {
            return (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
    }

    /// Element-wise `self[i] / other[i]` of paired (interleaved) trials.
    func ratios(to other: Samples) -> Samples {
        Samples(zip(values, other.values).map { $0 / $1 })
    }
}
