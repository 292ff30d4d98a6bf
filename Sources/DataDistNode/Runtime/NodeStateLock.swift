import DataDistModel
import Glibc
import Synchronization

/// The node's one lock (DESIGN: node state behind one lock, short critical sections), timed: every hold is
/// measured on the monotonic clock and counted in `datadist_node_lock_hold_seconds`, so "short" is a figure
/// (issue 8: lock hold times under 12 concurrent pulls). Two vDSO clock reads per hold (~50 ns).
final class NodeStateLock: Sendable {
    private let mutex: Mutex<NodeState>
    let holds = LockHoldStats()

    init(_ state: consuming sending NodeState) {
        mutex = Mutex(state)
    }

    func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending NodeState) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        try mutex.withLock { (state: inout sending NodeState) throws(E) -> sending Result in
            let started = LockHoldStats.nowNs()
            defer { holds.record(LockHoldStats.nowNs() &- started) }
            return try body(&state)
        }
    }
}

/// Lock hold times: a count, the sum, the longest, and a histogram (Prometheus `le` buckets, cumulative when
/// rendered). Atomics only: recording never takes a lock.
final class LockHoldStats: Sendable {
    /// Bucket upper bounds in nanoseconds: 1 µs … 100 ms.
    static let boundsNs: [UInt64] = [1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]
    /// One counter per bound, and one past the last.
    private let buckets = (0...LockHoldStats.boundsNs.count).map { _ in Counter() }
    private let count = Atomic<UInt64>(0)
    private let sumNs = Atomic<UInt64>(0)
    private let maxNs = Atomic<UInt64>(0)

    static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    func record(_ ns: UInt64) {
        let slot = Self.boundsNs.firstIndex { ns <= $0 } ?? Self.boundsNs.count
        buckets[slot].value.add(1, ordering: .relaxed)
        count.add(1, ordering: .relaxed)
        sumNs.add(ns, ordering: .relaxed)
        var seen = maxNs.load(ordering: .relaxed)
        while ns > seen {
            let (exchanged, original) = maxNs.compareExchange(expected: seen, desired: ns, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    /// The Prometheus text of the histogram and the longest hold.
    func exposition() -> String {
        let name = "datadist_node_lock_hold_seconds"
        var out = "# HELP \(name) Time the node's state lock was held, per hold.\n# TYPE \(name) histogram\n"
        var cumulative: UInt64 = 0
        for (i, bound) in Self.boundsNs.enumerated() {
            cumulative += buckets[i].value.load(ordering: .relaxed)
            out += "\(name)_bucket{le=\"\(Self.seconds(bound))\"} \(cumulative)\n"
        }
        cumulative += buckets[Self.boundsNs.count].value.load(ordering: .relaxed)
        out += "\(name)_bucket{le=\"+Inf\"} \(cumulative)\n"
        out += "\(name)_sum \(Self.seconds(sumNs.load(ordering: .relaxed)))\n"
        out += "\(name)_count \(count.load(ordering: .relaxed))\n"
        let longest = "datadist_node_lock_hold_max_seconds"
        out += "# HELP \(longest) The longest hold of the node's state lock since start.\n# TYPE \(longest) gauge\n"
        out += "\(longest) \(Self.seconds(maxNs.load(ordering: .relaxed)))\n"
        return out
    }

    private static func seconds(_ ns: UInt64) -> String {
        let s = Double(ns) / 1e9
        return s == 0 ? "0" : "\(s)"
    }
}

/// An atomic counter that can live in an array (an `Atomic` itself cannot be copied into one).
final class Counter: Sendable {
    let value = Atomic<UInt64>(0)
}
