import DataDistModel
import Glibc
import HTTPServer
import Logging
import PeerClient
import Synchronization

/// The shared heart of a node: configuration, identity and guarded state. Routes on both listeners
/// and the role controller hold this.
final class NodeCore: Sendable {
    let config: NodeConfiguration
    let bootID: String
    let startedAt: ContinuousClock.Instant
    let state: NodeStateLock
    let metrics = RequestMetrics()
    let transferMetrics = TransferMetrics()
    let logger: Logger
    /// libcurl client for every call to another node (links, probes, transfers); `https` with `--tls-ca`.
    let peers: PeerClient
    /// The listeners' TLS contexts and the client's TLS (CONTRACT §13).
    let tls: NodeTLS

    /// The bytes behind the pools.
    let memory: PoolMemorySet
    /// Every deadline of the node runs on this clock.
    let clock: MonotonicClock
    /// Open `/v1/events` streams, woken when an event is recorded.
    let eventStreams = EventStreams()
    /// `/v1/transfers`: submitted transfers and their history.
    let asyncTransfers: AsyncTransfers
    /// Fires at the next lease deadline.
    let leaseTimer = LeaseTimer()
    /// Pulls streaming from progressive caches, woken by `POST /v1/cache/{id}/ready`.
    let progressiveSources = ProgressiveSources()
    /// Keys whose lease ran out (`datadist_kv_lease_expired_total`).
    let leasesExpired = Atomic<Int>(0)
    /// The lanes asynchronous transfers run in (CONTRACT §11; `TransferController`), here so `/metrics` can count
    /// the transfers queued in them.
    let asyncLanes: PeerLanes<UInt64>

    init(
        config: NodeConfiguration,
        logger: Logger,
        memory: PoolMemorySet,
        clock: MonotonicClock = .system,
        tls: NodeTLS = NodeTLS()
    ) {
        self.config = config
        self.tls = tls
        // Idle connections kept per peer: at least one per asynchronous lane, so a lane's next transfer reuses one.
        self.peers = PeerClient(
            configuration: PeerClient.Configuration(
                maxIdleHandlesPerPeer: max(8, config.asyncTransfersPerPeer),
                tls: tls.client
            )
        )
        self.clock = clock
        let workers = BlockingWorkers(name: "datadist-transfer")
        self.asyncLanes = PeerLanes(limit: config.asyncTransfersPerPeer) { workers.async($0) }
        self.asyncTransfers = AsyncTransfers(capacity: config.transferHistory, clock: clock)
        self.memory = memory
        let bootID = BootID.make()
        self.bootID = bootID
        self.startedAt = .now
        self.logger = logger
        self.state = NodeStateLock(
            NodeState(
                role: RoleState(
                    clusterID: config.clusterID,
                    role: config.role,
                    listen: nil,
                    switchEnabled: config.enableSwitchRole,
                    deviceCount: config.deviceIDs.count,
                    profile: config.compat
                ),
                caches: CacheStore(
                    devices: config.deviceIDs,
                    devicePoolBytes: config.devicePoolBytes,
                    hostPoolBytes: config.hostPoolBytes,
                    pageShift: config.pageShift
                ),
                events: EventLog(capacity: config.eventHistory, bootID: bootID),
                leases: KeyLeases(durationMs: Int64(config.kvLeaseMs))
            )
        )
    }

    /// The calls this node makes on the peer protocol (with its peer token).
    var peerCalls: PeerCalls { PeerCalls(client: peers, peerToken: config.peerToken) }

    /// Drops pulls never acknowledged and pushes never sent in time, releasing their pins. Deadlines are on
    /// the monotonic `clock`: a wall-clock step must neither release pins early nor hold them too long.
    func expireTransfers() {
        let now = clock.nowMs
        state.withLock { s in
            for id in s.transfers.expire(nowMs: now) { _ = s.caches.unpin(id) }
        }
    }

    /// Wall-clock time in Unix milliseconds: only for timestamps shown to users (RFC 3339), never a deadline.
    static func nowUnixMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    var uptimeSeconds: Double {
        let d = ContinuousClock.now - startedAt
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The body of `GET /v1/role` (and of a successful `PUT`).
    func roleBody() -> JSONValue {
        state.withLock { s in Self.roleBody(s) }
    }

    static func roleBody(_ s: NodeState) -> JSONValue {
        let r = s.role
        var body: JSONObject = [
            "cluster_id": .uint(r.clusterID).normalized,
            "role": .string(r.role.rawValue),
            "role_epoch": .uint(r.epoch).normalized,
            "listen_ip_info": r.listen.map { .string($0.description) } ?? .null,
            "switch_role_enabled": .bool(r.switchEnabled),
        ]
        // Once a switch drained or ran asynchronously (CONTRACT §12), where it is and how the last one ended.
        if s.switchPhase != .idle || s.lastSwitch != nil {
            body["phase"] = .string(s.switchPhase.rawValue)
            body["last_switch"] = s.lastSwitch ?? .null
        }
        return .object(body)
    }

    /// `link_up` / `link_down` with the link's identity.
    func emitLink(_ type: String, _ link: Link, reason: String) {
        emit(
            type,
            [
                (key: "remote_cluster_id", value: link.remoteClusterID.json),
                (key: "direction", value: .string(link.direction.rawValue)), (key: "reason", value: .string(reason)),
            ]
        )
    }

    /// Records an event for `/v1/events` (CONTRACT §12) and wakes the open streams.
    func emit(_ type: String, _ fields: [(key: String, value: JSONValue)] = []) {
        let at = Self.nowUnixMs()
        state.withLock { _ = $0.events.append(type, atUnixMs: at, fields) }
        eventStreams.wakeAll()
    }
}

extension UInt64 {
    var json: JSONValue { JSONValue.uint(self).normalized }
}
