import DataDistModel
import Dispatch
import PeerClient
import Synchronization

/// The parallel streams of one striped transfer on the initiating side (docs/peer-protocol.md "Striped
/// transfers"): each runs on its own thread (a blocking libcurl exchange straight into or out of its share of the
/// pinned memory); the first failure is kept and cancels every other stream, so the transfer fails as a whole.
final class StripeStreams: Sendable {
    /// Shared by every stream of the transfer; under the transfer's own (DELETE /v1/transfers/{id}).
    let cancellation: PeerCancellation
    private let group = DispatchGroup()
    private let firstFailure = Mutex<APIError?>(nil)
    private let verified = Atomic<Int>(0)
    private let workers = BlockingWorkers(name: "datadist-stream")

    init(parent: PeerCancellation?) { cancellation = PeerCancellation(parent: parent) }

    /// Runs one stream on its own thread; its verified bytes count, its failure fails the transfer.
    func start(_ stream: @escaping @Sendable () -> Result<Int, APIError>) {
        workers.async(group: group) { [self] in
            switch stream() {
            case .success(let n): verified.add(n, ordering: .relaxed)
            case .failure(let e): fail(e)
            }
        }
    }

    /// Records the transfer's failure (the first one wins: later ones are mostly the cancellation it caused)
    /// and stops the other streams.
    func fail(_ e: APIError) {
        firstFailure.withLock { if $0 == nil { $0 = e } }
        cancellation.cancel()
    }

    /// Waits for every started stream; then the first failure, or the bytes they verified together.
    func wait() -> Result<Int, APIError> {
        group.wait()
        if let e = firstFailure.withLock({ $0 }) { return .failure(e) }
        return .success(verified.load(ordering: .relaxed))
    }
}

/// Destination memory handed to a stream's thread.
///
/// `@unchecked Sendable` invariant: the regions are pinned pool memory of the transfer's local cache, pinned until
/// the transfer's worker returns, which waits for every stream (`StripeStreams.wait`); each stream writes only
/// its own share, so no two threads write the same bytes.
struct StreamMemory: @unchecked Sendable {
    let writable: [UnsafeMutableRawBufferPointer]
    var readable: [UnsafeRawBufferPointer] { writable.map { UnsafeRawBufferPointer($0) } }
}
