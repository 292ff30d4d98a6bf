import DataDistModel
import Dispatch
import HTTPCore
import HTTPServer
import Synchronization

/// The asynchronous transfers of `/v1/transfers` (CONTRACT §11): ids, controls of the running ones, the bounded
/// history, and long-poll waiters answered when their transfer ends or their `wait_ms` passes (a waiter is a
/// parked responder, never a parked thread).
final class AsyncTransfers: Sendable {
    typealias Waiter = (token: UInt64, answer: @Sendable (TransferRecord) -> Void)

    private struct State {
        var history: TransferHistory
        var controls: [String: TransferControl] = [:]
        var waiters: [String: [Waiter]] = [:]
        var nextToken: UInt64 = 0
    }

    private let state: Mutex<State>

    private let clock: MonotonicClock

    init(capacity: Int, clock: MonotonicClock) {
        self.clock = clock
        state = Mutex(State(history: TransferHistory(capacity: capacity)))
    }

    /// A random (version 4) UUID in lower case, e.g. `f977835a-1c2b-4d3e-8f40-123456789abc`.
    /// Two 64-bit draws and one 36-byte buffer: every `POST /v1/transfers` makes one on the admin loop (a string per
    /// byte and joins cost 4 % of the node's CPU in a burst of submissions).
    static func randomUUID() -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        for (i, word) in [rng.next(), rng.next()].enumerated() {
            for k in 0..<8 { bytes[8 * i + k] = UInt8(truncatingIfNeeded: word >> (8 * k)) }
        }
        bytes[6] = bytes[6] & 0x0f | 0x40
        bytes[8] = bytes[8] & 0x3f | 0x80
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Registers a transfer about to start; returns its id and control.
    func begin(op: String, cacheID: Int64) -> (String, TransferControl) {
        let id = Self.randomUUID()
        let control = TransferControl(clock: clock)
        let record = TransferRecord(id: id, op: op, cacheID: cacheID, createdAtUnixMs: NodeCore.nowUnixMs())
        state.withLock { s in
            s.history.start(record)
            s.controls[id] = control
        }
        return (id, control)
    }

    /// Drops a transfer whose local checks failed (it never started, so it never enters the history).
    func abandon(_ id: String) {
        state.withLock { s in
            s.controls[id] = nil
            s.history.discard(id)
        }
    }

    /// Records how a transfer ended and answers everyone waiting for it.
    func end(_ id: String, _ result: Result<JSONValue, APIError>, control: TransferControl, durationMs: Double) {
        let (record, waiters) = state.withLock { s -> (TransferRecord?, [Waiter]) in
            s.controls[id] = nil
            let (final, error, bytes): (TransferRecord.State, APIError?, Int?)
            switch result {
            case .success(let answer):
                (final, error, bytes) = (.done, nil, answer["bytes"]?.int64Value.map { Int($0) })
            case .failure(let e):
                // CONTRACT §6: a failed transfer leaves its destination range undefined, so it never reports bytes
                // as done (what arrived before the failure may be torn); `bytes_done` counts up only while running.
                (final, error, bytes) = (control.isCancelled ? .cancelled : .failed, e, 0)
            }
            s.history.update(id) { $0.bytesTotal = max($0.bytesTotal, control.bytesTotal) }
            let record = s.history.finish(
                id,
                state: final,
                error: error,
                bytesDone: bytes,
                atUnixMs: NodeCore.nowUnixMs(),
                durationMs: durationMs
            )
            return (record, s.waiters.removeValue(forKey: id) ?? [])
        }
        guard let record else { return }
        for w in waiters { w.answer(record) }
    }

    /// The record with live progress; nil for an unknown id.
    func record(_ id: String) -> TransferRecord? {
        state.withLock { s in Self.live(s, id) }
    }

    private static func live(_ s: State, _ id: String) -> TransferRecord? {
        guard var r = s.history.record(id) else { return nil }
        if let control = s.controls[id] {
            r.bytesTotal = control.bytesTotal
            r.bytesDone = control.bytesDone
            if r.state == .running && control.isWaiting { r.state = .waiting }
        }
        return r
    }

    /// Answers with the record as soon as it is terminal, else after `waitMs`. False for an unknown id.
    func wait(_ id: String, waitMs: Int, answer: @escaping @Sendable (TransferRecord) -> Void) -> Bool {
        enum Now {
            case unknown
            case ready(TransferRecord)
            case parked(UInt64)
        }
        let now = state.withLock { s -> Now in
            guard let r = Self.live(s, id) else { return .unknown }
            if r.state.isTerminal || waitMs == 0 { return .ready(r) }
            s.nextToken += 1
            s.waiters[id, default: []].append((s.nextToken, answer))
            return .parked(s.nextToken)
        }
        switch now {
        case .unknown: return false
        case .ready(let r): answer(r)
        case .parked(let token):
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(waitMs)) {
                let r = self.state.withLock { s -> TransferRecord? in
                    guard let i = s.waiters[id]?.firstIndex(where: { $0.token == token }) else { return nil }
                    s.waiters[id]?.remove(at: i)
                    if s.waiters[id]?.isEmpty == true { s.waiters[id] = nil }
                    return Self.live(s, id)
                }
                if let r { answer(r) }
            }
        }
        return true
    }

    /// Cancels a running transfer (its thread notices within about a second; a queued one ends now). False for an
    /// unknown id.
    func cancel(_ id: String) -> Bool {
        let (known, control) = state.withLock { s -> (Bool, TransferControl?) in
            (s.history.record(id) != nil, s.controls[id])
        }
        // Outside the lock: withdrawing a queued transfer ends it, and `end` takes the lock.
        control?.cancel()
        return known
    }

    func ended(since: UInt64, state filter: TransferRecord.State?, limit: Int) -> JSONValue {
        let (records, next) = state.withLock { $0.history.ended(since: since, state: filter, limit: limit) }
        return ["transfers": .array(records.map(\.json)), "next": JSONValue.uint(next).normalized]
    }

    var runningCount: Int { state.withLock { $0.history.runningCount } }
}
