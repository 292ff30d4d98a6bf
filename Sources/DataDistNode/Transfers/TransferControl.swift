import DataDistModel
import HTTPServer
import PeerClient
import Synchronization

/// What an asynchronous transfer shares with the thread running it (CONTRACT §11): a cancellation the peer
/// client honours within about a second, and progress counters for `GET /v1/transfers/{id}`.
final class TransferControl: Sendable {
    let cancellation = PeerCancellation()

    init(clock: MonotonicClock = .system) {
        self.clock = clock
        self.lastProgressMs = Atomic(clock.nowMs)
    }
    private let total = Atomic<Int>(0)
    private let done = Atomic<Int>(0)
    /// The source is progressive (its preamble says so): a pause in its bytes means layers are not ready yet.
    private let progressive = Atomic<Bool>(false)
    /// When bytes last arrived (monotonic ms).
    private let clock: MonotonicClock
    private let lastProgressMs: Atomic<Int64>

    /// A progressive source that has sent nothing for this long is `waiting` (blocked on readiness).
    static let waitingAfterMs: Int64 = 50

    var isWaiting: Bool {
        progressive.load(ordering: .relaxed)
            && clock.nowMs - lastProgressMs.load(ordering: .relaxed) >= Self.waitingAfterMs
    }

    func markProgressive() { progressive.store(true, ordering: .relaxed) }

    /// What cancelling must do besides raising the flag: withdraw a transfer still queued for its lane, so it ends
    /// at once instead of at its turn. Runs at most once, on the cancelling thread.
    private let onCancel = Mutex<(@Sendable () -> Void)?>(nil)

    /// `DELETE /v1/transfers/{id}`: a running transfer notices the flag within about a second; a queued one is
    /// withdrawn now.
    func cancel() {
        cancellation.cancel()
        let hook = onCancel.withLock { hook in
            defer { hook = nil }
            return hook
        }
        hook?()
    }

    /// Installs the withdraw hook; runs it at once when the transfer was cancelled already.
    func whenCancelled(_ hook: @escaping @Sendable () -> Void) {
        let cancelled = onCancel.withLock { slot -> Bool in
            if cancellation.isCancelled { return true }
            slot = hook
            return false
        }
        if cancelled { hook() }
    }

    var isCancelled: Bool { cancellation.isCancelled }
    var bytesTotal: Int { total.load(ordering: .relaxed) }
    var bytesDone: Int { done.load(ordering: .relaxed) }

    func setTotal(_ bytes: Int) { total.store(bytes, ordering: .relaxed) }
    func add(_ bytes: Int) {
        done.add(bytes, ordering: .relaxed)
        lastProgressMs.store(clock.nowMs, ordering: .relaxed)
    }

    /// The error a transfer stopped by `DELETE /v1/transfers/{id}` ends with.
    static let cancelledError = APIError(.LLM_FAILED, "cancelled by DELETE /v1/transfers/{id}; nothing was consumed")
}
