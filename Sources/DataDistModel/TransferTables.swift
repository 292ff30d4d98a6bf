/// Transfers an owner has started for a peer and that are waiting for the peer's next step:
/// pulls waiting for the verified-receipt acknowledgement (to consume the key), pushes waiting for
/// their data. Entries expire, so a peer that never comes back leaks nothing (pins are released).
/// Every `expiresAtMs` is on the node's monotonic clock (`NodeCore.clock`), never the wall clock.
public struct TransferTables: Sendable {
    public struct PendingPull: Sendable {
        public let requester: UInt64
        public let identity: KeyIdentity
        /// Where the key pointed when the pull was served: a key re-bound meanwhile is not consumed.
        public let cacheID: Int64
        public let slot: Int
        public let tensors: [Int]
        public let expiresAtMs: Int64

        public init(
            requester: UInt64,
            identity: KeyIdentity,
            cacheID: Int64,
            slot: Int,
            tensors: [Int],
            expiresAtMs: Int64
        ) {
            self.requester = requester
            self.identity = identity
            self.cacheID = cacheID
            self.slot = slot
            self.tensors = tensors
            self.expiresAtMs = expiresAtMs
        }
    }

    public struct PendingPush: Sendable {
        public let requester: UInt64
        public let cacheID: Int64
        public let destination: TransferSide
        public let payloadBytes: Int
        public let expiresAtMs: Int64
        /// Set once the data request's sink owns the pin (its end releases it; expiry must not).
        public var receiving = false

        public init(requester: UInt64, cacheID: Int64, destination: TransferSide, payloadBytes: Int, expiresAtMs: Int64)
        {
            self.requester = requester
            self.cacheID = cacheID
            self.destination = destination
            self.payloadBytes = payloadBytes
            self.expiresAtMs = expiresAtMs
        }
    }

    public init() {}

    public private(set) var pulls: [String: PendingPull] = [:]
    public private(set) var pushes: [String: PendingPush] = [:]
    /// Pulls already acknowledged (transfer id → requester, expiry), so a repeated ack — its first answer was lost —
    /// is answered with success instead of "unknown" (CONTRACT §6).
    public private(set) var acknowledged: [String: (requester: UInt64, expiresAtMs: Int64)] = [:]

    /// Records an acknowledged pull until `expiresAtMs`.
    public mutating func rememberAck(_ id: String, requester: UInt64, untilMs: Int64) {
        acknowledged[id] = (requester, untilMs)
    }

    /// True when `requester` already acknowledged pull `id`.
    public func wasAcknowledged(_ id: String, by requester: UInt64) -> Bool { acknowledged[id]?.requester == requester }

    public mutating func addPull(_ id: String, _ p: PendingPull) { pulls[id] = p }
    public mutating func takePull(_ id: String) -> PendingPull? { pulls.removeValue(forKey: id) }
    public mutating func addPush(_ id: String, _ p: PendingPush) { pushes[id] = p }
    public mutating func takePush(_ id: String) -> PendingPush? { pushes.removeValue(forKey: id) }
    public func push(_ id: String) -> PendingPush? { pushes[id] }

    /// Hands a prepared push to its data request; nil when it is gone or already receiving.
    public mutating func startReceiving(_ id: String) -> PendingPush? {
        guard var p = pushes[id], !p.receiving else { return nil }
        p.receiving = true
        pushes[id] = p
        return p
    }

    /// Drops expired entries; returns the cache ids whose pins must be released (expired pushes).
    public mutating func expire(nowMs: Int64) -> [Int64] {
        pulls = pulls.filter { $0.value.expiresAtMs > nowMs }
        acknowledged = acknowledged.filter { $0.value.expiresAtMs > nowMs }
        let dead = pushes.filter { !$0.value.receiving && $0.value.expiresAtMs <= nowMs }
        for id in dead.keys { pushes[id] = nil }
        return dead.values.map(\.cacheID)
    }
}
