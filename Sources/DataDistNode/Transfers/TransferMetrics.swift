import Synchronization

/// Transfer counters and duration histograms for `/metrics`.
final class TransferMetrics: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        case pull, push, served
    }

    static let buckets: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60]

    private struct Series {
        var bytes: UInt64 = 0
        var count: UInt64 = 0
        var failures: UInt64 = 0
        var sum: Double = 0
        var buckets = [UInt64](repeating: 0, count: TransferMetrics.buckets.count)
    }

    private let series = Mutex<[Kind: Series]>([:])

    func record(_ kind: Kind, bytes: Int, seconds: Double) {
        series.withLock { all in
            var s = all[kind] ?? Series()
            s.bytes &+= UInt64(bytes)
            s.count &+= 1
            s.sum += seconds
            for (i, bound) in Self.buckets.enumerated() where seconds <= bound { s.buckets[i] &+= 1 }
            all[kind] = s
        }
    }

    func recordFailure(_ kind: Kind) {
        series.withLock { all in
            var s = all[kind] ?? Series()
            s.failures &+= 1
            all[kind] = s
        }
    }

    /// Prometheus text for every kind.
    var exposition: String {
        let snapshot = series.withLock { $0 }
        var out =
            "# HELP datadist_transfer_bytes_total Bytes moved: pull and push once verified, served as sent by this node.\n# TYPE datadist_transfer_bytes_total counter\n"
        for k in Kind.allCases {
            out += "datadist_transfer_bytes_total{kind=\"\(k.rawValue)\"} \(snapshot[k]?.bytes ?? 0)\n"
        }
        out +=
            "# HELP datadist_transfer_failures_total Transfers that ended in an error.\n# TYPE datadist_transfer_failures_total counter\n"
        for k in Kind.allCases {
            out += "datadist_transfer_failures_total{kind=\"\(k.rawValue)\"} \(snapshot[k]?.failures ?? 0)\n"
        }
        out +=
            "# HELP datadist_transfer_duration_seconds Duration of verified transfers.\n# TYPE datadist_transfer_duration_seconds histogram\n"
        for k in Kind.allCases {
            let s = snapshot[k] ?? Series()
            for (i, bound) in Self.buckets.enumerated() {
                out +=
                    "datadist_transfer_duration_seconds_bucket{kind=\"\(k.rawValue)\",le=\"\(bound)\"} \(s.buckets[i])\n"
            }
            out += "datadist_transfer_duration_seconds_bucket{kind=\"\(k.rawValue)\",le=\"+Inf\"} \(s.count)\n"
            out += "datadist_transfer_duration_seconds_sum{kind=\"\(k.rawValue)\"} \(s.sum)\n"
            out += "datadist_transfer_duration_seconds_count{kind=\"\(k.rawValue)\"} \(s.count)\n"
        }
        return out
    }
}
