import Synchronization

/// Lets another thread stop a request in flight: libcurl asks it at least once a second (and on every chunk)
/// through its transfer-info callback, so a cancelled request ends with `.aborted` within about a second even
/// when the peer sends nothing.
public final class PeerCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func cancel() { flag.store(true, ordering: .releasing) }
    public var isCancelled: Bool { flag.load(ordering: .acquiring) }
}
