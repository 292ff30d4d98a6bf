import DataDistModel
import HTTPCore

#if canImport(Glibc)
import Glibc
#endif

/// Everything `datadist serve` decided from flags and environment (CONTRACT §2), already validated.
public struct NodeConfiguration: Sendable {
    public var clusterID: UInt64 = 0
    public var role: Role = .prompt
    /// Admin API address; port 0 = ephemeral (tests).
    public var admin = ListenAddress(host: "127.0.0.1", port: 9200)
    /// Peer listener at start (`--listen`); required for PROMPT.
    public var listen: ListenAddress?
    public var enableSwitchRole = false
    /// Compatibility profile (`--compat`, CONTRACT §4a).
    public var compat = CompatProfile.documented
    public var deviceIDs: [Int] = [0]
    public var devicePoolBytes: UInt64 = 1 << 30
    public var hostPoolBytes: UInt64 = 1 << 30
    public var pageShift = 16
    public var syncKVTimeoutMs = 1000
    public var maxLinks = 512
    public var adminToken: String?
    public var peerToken: String?
    /// Largest JSON body an admin route accepts.
    public var maxJSONBodyBytes = 1 << 20
    public var httpLimits = HTTPLimits()
    public var maxConnections = 1024
    public var headerTimeoutMs = 10_000
    public var bodyTimeoutMs = 30_000
    public var idleTimeoutMs = 60_000
    /// Data plane (CONTRACT §9): I/O threads, stripe size and parallel streams of one transfer. Parsed and
    /// validated only; the data plane that uses them comes later.
    public var ioThreads = NodeConfiguration.defaultIOThreads
    public var stripeBytes: UInt64 = 64 << 20
    public var streamsPerTransfer = 4
    /// Key leases (CONTRACT §11): a bound key expires this long after binding unless consumed or renewed; 0 = never.
    public var kvLeaseMs = 0
    /// Terminal asynchronous transfers kept for `GET /v1/transfers` (CONTRACT §11).
    public var transferHistory = 4096
    /// Asynchronous transfers running at once per remote cluster; more wait in order (CONTRACT §11). No flag: the
    /// default follows the machine (`PeerLanes.defaultLimit`); tests set it small to see transfers queue.
    public var asyncTransfersPerPeer = PeerLanes<UInt64>.defaultLimit()
    /// Events kept for replay on `/v1/events` (CONTRACT §12).
    public var eventHistory = 4096
    /// Concurrent `/v1/events` streams; one more answers 503.
    public var maxEventStreams = 64
    /// `--shm-dir`: pools are files here and regions may be registered from here (CONTRACT §10); nil = anonymous.
    public var shmDir: String?
    /// `--shm-mode`: permission bits of the pool files.
    public var shmMode: UInt32 = 0o600

    /// TLS files (CONTRACT §13); checked by the executable before the node starts.
    public var tls = TLSFiles()

    public init() {}

    /// Online CPUs, at least 1 and at most 16 (CONTRACT §2).
    public static var defaultIOThreads: Int { min(16, max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))) }

    /// Cross-flag rules that single flags cannot check. Returns the complaint, naming the flag.
    public func validate() -> String? {
        if role == .prompt && listen == nil && compat.promptListensByDefault {
            return "--listen: required when --role is prompt"
        }
        if role == .decoder && listen != nil && !compat.decoderMayListen {
            return "--listen: a decoder does not listen in --compat legacy (use --role prompt or mix)"
        }
        if !(10..<31).contains(pageShift) { return "--page-shift: must be in [10, 31), got \(pageShift)" }
        if deviceIDs.isEmpty { return "--device-ids: at least one device id is required" }
        if Set(deviceIDs).count != deviceIDs.count { return "--device-ids: duplicate device id" }
        if syncKVTimeoutMs <= 0 { return "--sync-kv-timeout-ms: must be > 0" }
        if maxLinks <= 0 { return "--max-links: must be > 0" }
        if eventHistory <= 0 { return "--event-history: must be > 0" }
        if transferHistory <= 0 { return "--transfer-history: must be > 0" }
        if asyncTransfersPerPeer <= 0 { return "asyncTransfersPerPeer: must be > 0" }
        if kvLeaseMs < 0 { return "--kv-lease-ms: must be >= 0" }
        if ioThreads <= 0 { return "--io-threads: must be > 0" }
        if stripeBytes == 0 { return "--stripe-bytes: must be > 0" }
        if streamsPerTransfer <= 0 { return "--streams-per-transfer: must be > 0" }
        if maxEventStreams <= 0 { return "--max-event-streams: must be > 0" }
        if devicePoolBytes < UInt64(1) << UInt64(pageShift) {
            return "--device-pool: smaller than one page (2^\(pageShift) bytes)"
        }
        if hostPoolBytes < UInt64(1) << UInt64(pageShift) {
            return "--host-pool: smaller than one page (2^\(pageShift) bytes)"
        }
        if let listen, listen == admin, listen.port != 0 { return "--listen: same address as --admin" }
        if adminToken?.isEmpty == true { return "--admin-token: must not be empty" }
        if peerToken?.isEmpty == true { return "--peer-token: must not be empty" }
        return nil
    }
}

/// The PEM files of `--tls-cert`, `--tls-key`, `--tls-ca`, `--tls-client-ca`.
public struct TLSFiles: Sendable, Equatable {
    public var certificate: String?
    public var key: String?
    public var ca: String?
    public var clientCA: String?

    public init(certificate: String? = nil, key: String? = nil, ca: String? = nil, clientCA: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.ca = ca
        self.clientCA = clientCA
    }
}
