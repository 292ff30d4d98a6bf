import DataDistModel
import HTTPServer

/// The mutable state of a node, guarded by `NodeCore.state`. Never held across I/O.
struct NodeState: Sendable {
    var role: RoleState
    var links = LinkTable()
    /// Caches, keys and pool accounting (the bytes live in `NodeCore.memory`).
    var caches: CacheStore
    /// Pulls awaiting acknowledgement and pushes awaiting data (owner side).
    var transfers = TransferTables()
    /// The running peer listener, or nil (its address is `role.listen`).
    var peerServer: HTTPServer?
    /// True while a role switch is between its checks and its commit: links must not change meanwhile.
    var switchInProgress = false
    /// The bound admin port (the callback address linkers give listeners).
    var adminPort = 0
    /// True once the node began shutting down (`/readyz` answers 503).
    var stopping = false
}
