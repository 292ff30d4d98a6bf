/// A key a lease can hold: a request or prefix key, or a model's blocks key.
public enum LeasedKey: Hashable, Sendable, CustomStringConvertible {
    case key(KeyIdentity)
    case blocks(modelID: UInt64)

    public var description: String {
        switch self {
        case .key(let k): "\(k)"
        case .blocks(let m): "blocks key (model_id \(m))"
        }
    }
}

/// Key leases (CONTRACT §11): with a lease duration > 0 a bound key expires that long after binding unless it is
/// consumed, removed or renewed. Deadlines are milliseconds on the node's monotonic clock. Expiry pops a min-heap
/// of deadlines (a timer queue: the cost is the keys that expire, never a scan of every key). An expired key is
/// remembered for `tombstoneMs` (at most `maxTombstones`) so a late pull can be told it expired. Pure.
public struct KeyLeases: Sendable {
    public static let tombstoneMs: Int64 = 600_000
    public static let maxTombstones = 65_536

    public let durationMs: Int64
    private var deadlines: [LeasedKey: Int64] = [:]
    /// (deadline, key) min-heap; an entry whose deadline no longer matches `deadlines` is stale and skipped.
    private var heap: [(deadline: Int64, key: LeasedKey)] = []
    private var tombstones: [LeasedKey: Int64] = [:]
    /// Tombstones in the order they were made (so the oldest go first).
    private var tombstoneOrder: [(key: LeasedKey, at: Int64)] = []
    private var tombstoneHead = 0

    public init(durationMs: Int64) { self.durationMs = durationMs }

    public var enabled: Bool { durationMs > 0 }
    public var count: Int { deadlines.count }

    public func deadline(_ key: LeasedKey) -> Int64? { deadlines[key] }

    /// The earliest deadline still pending (stale heap entries may make it early; expiring then is a no-op).
    public var nextDeadline: Int64? { heap.first?.deadline }

    /// A key was bound: its lease starts now. A re-bound key forgets that it once expired.
    @discardableResult
    public mutating func grant(_ key: LeasedKey, nowMs: Int64) -> Int64? {
        guard enabled else { return nil }
        tombstones[key] = nil
        return set(key, nowMs + durationMs)
    }

    /// Renews a held lease to `nowMs + extendMs`; nil when the key holds no lease.
    public mutating func renew(_ key: LeasedKey, extendMs: Int64, nowMs: Int64) -> Int64? {
        guard deadlines[key] != nil else { return nil }
        return set(key, nowMs + extendMs)
    }

    /// Puts a due key's expiry off until `untilMs` (a pull of it is in flight and finishes first).
    public mutating func hold(_ key: LeasedKey, untilMs: Int64) { _ = set(key, untilMs) }

    /// The key was consumed or removed: its lease ends without a tombstone.
    public mutating func release(_ key: LeasedKey) { deadlines[key] = nil }

    /// Pops every lease due at `nowMs`. The caller unbinds those keys and tombstones the ones it found bound
    /// (`markExpired`): a key consumed without `release` must not look expired.
    public mutating func due(nowMs: Int64) -> [LeasedKey] {
        var due: [LeasedKey] = []
        while let top = heap.first, top.deadline <= nowMs {
            popHeap()
            guard deadlines[top.key] == top.deadline else { continue }  // renewed, released or re-granted
            deadlines[top.key] = nil
            due.append(top.key)
        }
        pruneTombstones(nowMs: nowMs)
        return due
    }

    /// Remembers that `key` expired at `nowMs` (for `tombstoneMs`).
    public mutating func markExpired(_ key: LeasedKey, nowMs: Int64) { addTombstone(key, at: nowMs) }

    /// True when `key` expired within the last `tombstoneMs` (and was not bound again since).
    public func expired(_ key: LeasedKey, nowMs: Int64) -> Bool {
        guard let at = tombstones[key] else { return false }
        return nowMs - at < Self.tombstoneMs
    }

    public var tombstoneCount: Int { tombstones.count }

    // MARK: private

    private mutating func set(_ key: LeasedKey, _ deadline: Int64) -> Int64 {
        deadlines[key] = deadline
        pushHeap((deadline, key))
        // Renewals leave stale entries behind; rebuild when they dominate so the heap stays O(live leases).
        if heap.count > 64 && heap.count > 4 * deadlines.count { rebuildHeap() }
        return deadline
    }

    private mutating func addTombstone(_ key: LeasedKey, at: Int64) {
        tombstones[key] = at
        tombstoneOrder.append((key, at))
        while tombstones.count > Self.maxTombstones { dropOldestTombstone() }
    }

    private mutating func pruneTombstones(nowMs: Int64) {
        while tombstoneHead < tombstoneOrder.count, nowMs - tombstoneOrder[tombstoneHead].at >= Self.tombstoneMs {
            dropOldestTombstone()
        }
    }

    private mutating func dropOldestTombstone() {
        guard tombstoneHead < tombstoneOrder.count else { return }
        let (key, at) = tombstoneOrder[tombstoneHead]
        tombstoneHead += 1
        if tombstones[key] == at { tombstones[key] = nil }
        if tombstoneHead > 1024 && tombstoneHead * 2 > tombstoneOrder.count {
            tombstoneOrder.removeFirst(tombstoneHead)
            tombstoneHead = 0
        }
    }

    private mutating func rebuildHeap() {
        heap = deadlines.map { (deadline: $0.value, key: $0.key) }
        var i = heap.count / 2
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    private mutating func pushHeap(_ item: (deadline: Int64, key: LeasedKey)) {
        heap.append(item)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].deadline < heap[parent].deadline else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func popHeap() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        siftDown(0)
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var smallest = i
            if l < heap.count && heap[l].deadline < heap[smallest].deadline { smallest = l }
            if r < heap.count && heap[r].deadline < heap[smallest].deadline { smallest = r }
            if smallest == i { return }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }
}
