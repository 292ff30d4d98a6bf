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
        /// The data requests the payload arrives in (one share each; a single share when not striped).
        public let stripes: TransferStripes
        /// Which shares' data requests have started (their sinks own the pin until they end).
        public var started: [Bool]
        public var ended = 0
        /// A share failed: the push cannot complete, so shares not yet started are refused.
        public var failed = false
        /// Set while a data request's sink holds the pin (its end releases it; expiry must not).
        public var receiving: Bool { started.filter { $0 }.count > ended }

        public init(
            requester: UInt64,
            cacheID: Int64,
            destination: TransferSide,
            payloadBytes: Int,
            expiresAtMs: Int64,
            stripes: TransferStripes? = nil
        ) {
            self.requester = requester
            self.cacheID = cacheID
            self.destination = destination
            self.payloadBytes = payloadBytes
            self.expiresAtMs = expiresAtMs
            let stripes =
                stripes ?? TransferStripes.plan(payloadBytes: payloadBytes, frameSize: 1, stripeBytes: 1, maxStreams: 1)
            self.stripes = stripes
            self.started = Array(repeating: false, count: stripes.count)
        }
    }

    /// A striped pull's later streams (`POST /v1/peer/pull/stream`), served from the plan and the pins of its
    /// first request: the entry holds one pin of `cache` per stream not yet asked for (taken with the first
    /// request, so a cache freed meanwhile stays readable), each handed to its stream or released at expiry.
    public struct StripedPull: Sendable {
        public let requester: UInt64
        public let cache: CacheInfo
        public let side: TransferSide
        public let stripes: TransferStripes
        public let frameSize: Int
        public var requested: [Bool]
        public let expiresAtMs: Int64

        public init(
            requester: UInt64,
            cache: CacheInfo,
            side: TransferSide,
            stripes: TransferStripes,
            frameSize: Int,
            expiresAtMs: Int64
        ) {
            self.requester = requester
            self.cache = cache
            self.side = side
            self.stripes = stripes
            self.frameSize = frameSize
            self.expiresAtMs = expiresAtMs
            // Stream 0 travels with the first request.
            self.requested = (0..<stripes.count).map { $0 == 0 }
        }
    }
    public private(set) var stripedPulls: [String: StripedPull] = [:]

    public mutating func addStripedPull(_ id: String, _ p: StripedPull) { stripedPulls[id] = p }

    /// Hands out stream `index` of striped pull `id` once, with one of the entry's pins (the stream releases it).
    /// Nil when unknown, expired, another requester's, or already handed out.
    public mutating func takeStream(_ id: String, index: Int, requester: UInt64) -> StripedPull? {
        guard var p = stripedPulls[id], p.requester == requester, p.requested.indices.contains(index),
            !p.requested[index]
        else { return nil }
        p.requested[index] = true
        stripedPulls[id] = p.requested.contains(false) ? p : nil
        return p
    }

    /// Drops striped pull `id` (one of its streams failed, so the puller fails the whole pull and will not ask for
    /// the rest): the cache ids of the pins it still held, to release.
    public mutating func dropStripedPull(_ id: String) -> [Int64] {
        stripedPulls.removeValue(forKey: id).map(Self.heldPins) ?? []
    }

    /// Pins a striped pull entry still holds (one per stream not yet asked for).
    static func heldPins(_ p: StripedPull) -> [Int64] { p.requested.filter { !$0 }.map { _ in p.cache.id } }

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

    /// Hands share `index` of a prepared push to its data request; nil when it is gone, failed, or that share's
    /// data request already started.
    public mutating func startReceiving(_ id: String, index: Int = 0) -> PendingPush? {
        guard var p = pushes[id], !p.failed, p.started.indices.contains(index), !p.started[index] else { return nil }
        p.started[index] = true
        pushes[id] = p
        return p
    }

    /// A push that cannot complete (a data request refused before its body): shares not yet started are refused
    /// from now on. Returns the cache id whose pin to release when no share is receiving (else the last one to end
    /// releases it).
    public mutating func abandonPush(_ id: String) -> Int64? {
        guard var p = pushes[id] else { return nil }
        p.failed = true
        pushes[id] = p.receiving ? p : nil
        return p.receiving ? nil : p.cacheID
    }

    /// A share's data request ended (`verified` or not). Returns the cache id whose pin to release when the push
    /// is over: every share ended, or a share failed and no other is still receiving.
    public mutating func endReceiving(_ id: String, verified: Bool) -> Int64? {
        guard var p = pushes[id] else { return nil }
        p.ended += 1
        if !verified { p.failed = true }
        let over = p.ended == p.stripes.count || (p.failed && !p.receiving)
        pushes[id] = over ? nil : p
        return over ? p.cacheID : nil
    }

    /// Drops expired entries; returns the cache ids whose pins must be released (expired pushes).
    public mutating func expire(nowMs: Int64) -> [Int64] {
        pulls = pulls.filter { $0.value.expiresAtMs > nowMs }
        acknowledged = acknowledged.filter { $0.value.expiresAtMs > nowMs }
        let dead = pushes.filter { !$0.value.receiving && $0.value.expiresAtMs <= nowMs }
        for id in dead.keys { pushes[id] = nil }
        let deadStripes = stripedPulls.filter { $0.value.expiresAtMs <= nowMs }
        for id in deadStripes.keys { stripedPulls[id] = nil }
        return dead.values.map(\.cacheID) + deadStripes.values.flatMap(Self.heldPins)
    }
}
