import Synchronization

/// Lets another thread stop a request in flight: libcurl asks it at least once a second (and on every chunk)
/// through its transfer-info callback, so a cancelled request ends with `.aborted` within about a second even
/// when the peer sends nothing. With a parent, cancelling the parent cancels this one too (a striped transfer's
/// streams share one cancellation under the transfer's own).
public final class PeerCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    private let parent: PeerCancellation?

    public init(parent: PeerCancellation? = nil) { self.parent = parent }

    public func cancel() { flag.store(true, ordering: .releasing) }
    public var isCancelled: Bool { flag.load(ordering: .acquiring) || parent?.isCancelled == true }
}
