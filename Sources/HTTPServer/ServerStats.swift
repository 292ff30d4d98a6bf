import Synchronization

/// Figures the loop publishes for other threads.
final class ServerStats: Sendable {
    let port = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let running = Atomic<Bool>(false)
}
