import Synchronization

/// Figures the loops publish for other threads (shared by every loop of a server).
final class ServerStats: Sendable {
    let port = Atomic<Int>(0)
    /// Open connections on every loop.
    let connections = Atomic<Int>(0)
    /// Connections counting toward `maxConnections` on every loop: the acceptor adds, the owning loop removes.
    let active = Atomic<Int>(0)
    /// Loops started and not yet exited; the server runs while this is above zero.
    let runningLoops = Atomic<Int>(0)
}
