/// One asynchronous transfer as `GET /v1/transfers/{id}` shows it (CONTRACT §11).
public struct TransferRecord: Sendable, Equatable {
    public enum State: String, Sendable, Equatable, CaseIterable {
        case running, waiting, done, failed, cancelled
        public var isTerminal: Bool { self == .done || self == .failed || self == .cancelled }
    }

    public var id: String
    public var op: String
    public var cacheID: Int64
    public var state: State = .running
    public var bytesTotal: Int = 0
    public var bytesDone: Int = 0
    public var error: APIError?
    public var createdAtUnixMs: Int64
    public var finishedAtUnixMs: Int64?
    public var durationMs: Double?
    /// Given when the transfer ends: the order in which transfers ended.
    public var seq: UInt64?

    public init(id: String, op: String, cacheID: Int64, createdAtUnixMs: Int64) {
        self.id = id
        self.op = op
        self.cacheID = cacheID
        self.createdAtUnixMs = createdAtUnixMs
    }

    public var json: JSONValue {
        let status = error?.status ?? (state == .done ? .LLM_SUCCESS : nil)
        return [
            "transfer_id": .string(id), "op": .string(op), "cache_id": JSONValue(cacheID),
            "state": .string(state.rawValue), "bytes_total": JSONValue(bytesTotal), "bytes_done": JSONValue(bytesDone),
            "status": status.map { .string($0.rawValue) } ?? .null, "code": status.map { .int($0.code) } ?? .null,
            "message": error.map { .string($0.message) } ?? .null,
            "created_at": .string(RFC3339.format(unixMs: createdAtUnixMs)),
            "finished_at": finishedAtUnixMs.map { .string(RFC3339.format(unixMs: $0)) } ?? .null,
            "duration_ms": durationMs.map { .double($0) } ?? .null,
            "seq": seq.map { JSONValue.uint($0).normalized } ?? .null,
        ]
    }
}

/// Running asynchronous transfers and the last `capacity` that ended, numbered in the order they ended so a
/// poller asks "what ended since my last poll" (CONTRACT §11). Pure; the node keeps it under a lock.
public struct TransferHistory: Sendable {
    public let capacity: Int
    private var running: [String: TransferRecord] = [:]
    /// Terminal records, oldest first (at most `capacity`).
    private var ended: [TransferRecord] = []
    private var endedIndex: [String: Int] = [:]
    /// Position of the oldest record in `ended` (it is trimmed from the front).
    private var endedStart = 0
    public private(set) var nextSeq: UInt64 = 1

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public var runningCount: Int { running.count }

    public mutating func start(_ record: TransferRecord) { running[record.id] = record }

    /// Forgets a running transfer that never really started (its local checks failed).
    public mutating func discard(_ id: String) { running[id] = nil }

    public func record(_ id: String) -> TransferRecord? {
        if let r = running[id] { return r }
        guard let i = endedIndex[id] else { return nil }
        return ended[i - endedStart]
    }

    /// Updates a running transfer (progress, waiting); terminal records do not change.
    public mutating func update(_ id: String, _ change: (inout TransferRecord) -> Void) {
        guard var r = running[id] else { return }
        change(&r)
        r.state = r.state.isTerminal ? .running : r.state
        running[id] = r
    }

    /// Ends a running transfer with `state` (done, failed or cancelled); returns the final record, or nil when
    /// it had already ended.
    @discardableResult
    public mutating func finish(
        _ id: String,
        state: TransferRecord.State,
        error: APIError?,
        bytesDone: Int?,
        atUnixMs: Int64,
        durationMs: Double
    ) -> TransferRecord? {
        precondition(state.isTerminal)
        guard var r = running.removeValue(forKey: id) else { return nil }
        r.state = state
        r.error = error
        if let bytesDone { r.bytesDone = bytesDone }
        r.finishedAtUnixMs = atUnixMs
        r.durationMs = durationMs
        r.seq = nextSeq
        nextSeq += 1
        endedIndex[id] = endedStart + ended.count
        ended.append(r)
        if ended.count > capacity {
            let dropped = ended.removeFirst()
            endedIndex[dropped.id] = nil
            endedStart += 1
        }
        return r
    }

    /// Terminal transfers with `seq` > `since`, in the order they ended, optionally of one state, at most
    /// `limit`; `next` is the `since` of the following poll.
    public func ended(
        since: UInt64,
        state: TransferRecord.State? = nil,
        limit: Int
    ) -> (
        records: [TransferRecord], next: UInt64
    ) {
        var out: [TransferRecord] = []
        var next = since
        for r in ended where (r.seq ?? 0) > since {
            if out.count >= limit { break }
            next = r.seq ?? next
            if let state, r.state != state { continue }
            out.append(r)
        }
        return (out, next)
    }
}
