import DataDistModel

/// Transfers an owner has started for a peer and that are waiting for the peer's next step:
/// pulls waiting for the verified-receipt acknowledgement (to consume the key), pushes waiting for
/// their data. Entries expire, so a peer that never comes back leaks nothing (pins are released).
/// Every `expiresAtMs` is on the node's monotonic clock (`NodeCore.clock`), never the wall clock.
struct TransferTables: Sendable {
    struct PendingPull: Sendable {
        let requester: UInt64
        let identity: KeyIdentity
        /// Where the key pointed when the pull was served: a key re-bound meanwhile is not consumed.
        let cacheID: Int64
        let slot: Int
        let tensors: [Int]
        let expiresAtMs: Int64
    }

    struct PendingPush: Sendable {
        let requester: UInt64
        let cacheID: Int64
        let destination: TransferSide
        let payloadBytes: Int
        let expiresAtMs: Int64
        /// Set once the data request's sink owns the pin (its end releases it; expiry must not).
        var receiving = false
    }

    private(set) var pulls: [String: PendingPull] = [:]
    private(set) var pushes: [String: PendingPush] = [:]

    mutating func addPull(_ id: String, _ p: PendingPull) { pulls[id] = p }
    mutating func takePull(_ id: String) -> PendingPull? { pulls.removeValue(forKey: id) }
    mutating func addPush(_ id: String, _ p: PendingPush) { pushes[id] = p }
    mutating func takePush(_ id: String) -> PendingPush? { pushes.removeValue(forKey: id) }
    func push(_ id: String) -> PendingPush? { pushes[id] }

    /// Hands a prepared push to its data request; nil when it is gone or already receiving.
    mutating func startReceiving(_ id: String) -> PendingPush? {
        guard var p = pushes[id], !p.receiving else { return nil }
        p.receiving = true
        pushes[id] = p
        return p
    }

    /// Drops expired entries; returns the cache ids whose pins must be released (expired pushes).
    mutating func expire(nowMs: Int64) -> [Int64] {
        pulls = pulls.filter { $0.value.expiresAtMs > nowMs }
        let dead = pushes.filter { !$0.value.receiving && $0.value.expiresAtMs <= nowMs }
        for id in dead.keys { pushes[id] = nil }
        return dead.values.map(\.cacheID)
    }
}
