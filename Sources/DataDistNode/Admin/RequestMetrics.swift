import Synchronization

/// Counters for `/metrics`: requests by route pattern and HTTP status.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        let route: String
        let status: Int
    }
    private let counts = Mutex<[Key: UInt64]>([:])

    func record(route: String, status: Int) {
        counts.withLock { $0[Key(route: route, status: status), default: 0] += 1 }
    }

    /// (route, status, count) sorted for stable output.
    func snapshot() -> [(route: String, status: Int, count: UInt64)] {
        counts.withLock { c in
            c.map { (route: $0.key.route, status: $0.key.status, count: $0.value) }
                .sorted { ($0.route, $0.status) < ($1.route, $1.status) }
        }
    }
}
