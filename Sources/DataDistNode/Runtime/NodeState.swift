import DataDistModel
import HTTPServer

/// The mutable state of a node, guarded by `NodeCore.state`. Never held across I/O.
struct NodeState: Sendable {
    var role: RoleState
    var links = LinkTable()
    /// Caches, keys and pool accounting (the bytes live in `NodeCore.memory`).
    var caches: CacheStore
    /// Registered engine memory (CONTRACT §10); the mappings are `NodeCore.memory.regions`.
    var regions = RegionTable()
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
    /// True while a role switch drains (CONTRACT §12): new links, transfers and key bindings are refused.
    var draining = false
    /// Where the running drain-aware switch is, and how the last one ended (`GET /v1/role`).
    var switchPhase: RoleSwitchSequence.Phase = .idle
    var lastSwitch: JSONValue?
    /// Pulls and pushes this node initiated that are running now.
    var activeTransfers = 0
    /// The recent events of `/v1/events`.
    var events: EventLog
    /// Key leases (`--kv-lease-ms`), deadlines on `NodeCore.clock`.
    var leases: KeyLeases

    /// Transfers the node takes part in: its own running ones, and pulls and pushes it serves for peers.
    var transfersInFlight: Int { activeTransfers + transfers.pulls.count + transfers.pushes.count }

    /// Refuses new work while draining: `what` says what was refused.
    func admit(_ what: String) throws(APIError) {
        if draining {
            throw APIError(.NODE_DRAINING, "the node is draining for a role switch: no new \(what); retry later")
        }
    }
}
