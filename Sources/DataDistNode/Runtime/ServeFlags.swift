import ArgumentParser
import DataDistModel
import Logging

/// The flags of `datadist serve` (CONTRACT §2), each declared once: its type, its help and its default, which
/// comes from `NodeConfiguration()`. `ServeSettings` feeds them from the command line and `DATADIST_*`;
/// `configuration()` is the one place that turns them into a `NodeConfiguration`.
public struct ServeFlags: ParsableArguments, Sendable {
    static let defaults = NodeConfiguration()

    @Option(help: "This node's cluster id (UInt64).") public var clusterId = defaults.clusterID
    @Option(help: "Initial role: prompt, decoder or mix.") public var role = defaults.role
    @Option(help: "Admin API address HOST:PORT.") public var admin = defaults.admin
    @Option(
        help: "Peer listener IP:PORT (llm.listenIpInfo); required for prompt. [default: 127.0.0.1:26000 for prompt]"
    )
    public var listen: ListenAddress?
    @Flag(help: "Allow PUT /v1/role (LLM-DataDist enable_switch_role).")
    public var enableSwitchRole = defaults.enableSwitchRole
    @Option(help: "Comma-separated device ids; more than one = multi-device mode.")
    public var deviceIds = DeviceIDs(defaults.deviceIDs)
    @Option(help: "Device pool capacity (e.g. 512MiB, 4GiB).") public var devicePool = ByteCount(
        defaults.devicePoolBytes
    )
    @Option(help: "Host pool capacity.") public var hostPool = ByteCount(defaults.hostPoolBytes)
    @Option(help: "Pool page size = 2^N bytes, N in [10, 31).") public var pageShift = defaults.pageShift
    @Option(help: "Default bound of every pull/push in ms.") public var syncKvTimeoutMs = defaults.syncKVTimeoutMs
    @Option(help: "Total links this node may hold.") public var maxLinks = defaults.maxLinks
    @Option(help: "Bearer token required on the admin API (except /healthz, /readyz).") public var adminToken: String?
    @Option(help: "Bearer token nodes present on the peer protocol.") public var peerToken: String?
    @Option(help: "Open connections per listener; one more gets 503.") public var maxConnections = defaults
        .maxConnections
    @Option(help: "Largest JSON request body.") public var maxJsonBody = ByteCount(UInt64(defaults.maxJSONBodyBytes))
    @Option(help: "Largest request line + headers.")
    public var maxHeaderBytes = ByteCount(UInt64(defaults.httpLimits.maxHeaderBytes))
    @Option(help: "Most header fields in a request.") public var maxHeaderCount = defaults.httpLimits.maxHeaderCount
    @Option(help: "Time to receive a request head, ms.") public var headerTimeoutMs = defaults.headerTimeoutMs
    @Option(help: "Longest pause inside a request body, ms.") public var bodyTimeoutMs = defaults.bodyTimeoutMs
    @Option(help: "Idle keep-alive connections close after this, ms.") public var idleTimeoutMs = defaults.idleTimeoutMs
    @Option(help: "Data-plane I/O threads (CONTRACT §9); default: online CPUs, at most 16.")
    public var ioThreads = defaults.ioThreads
    @Option(help: "Bytes per stripe of a striped transfer (CONTRACT §9).")
    public var stripeBytes = ByteCount(defaults.stripeBytes)
    @Option(help: "Parallel streams per transfer (CONTRACT §9).")
    public var streamsPerTransfer = defaults.streamsPerTransfer
    @Option(help: "Ended transfers kept for GET /v1/transfers.") public var transferHistory = defaults.transferHistory
    @Option(help: "Bound keys expire after this many ms unless pulled or renewed; 0 = never.")
    public var kvLeaseMs = defaults.kvLeaseMs
    @Option(help: "Events kept for /v1/events replay.") public var eventHistory = defaults.eventHistory
    @Option(help: "Concurrent /v1/events streams; one more gets 503.") public var maxEventStreams = defaults
        .maxEventStreams
    @Option(help: "Compatibility profile (CONTRACT §4a): documented, cache-manager or legacy.")
    public var compat = defaults.compat
    @Option(help: "Directory of shared-memory pool files and registered regions (e.g. /dev/shm/datadist).")
    public var shmDir: String?
    @Option(help: "Octal permission bits of the pool files.") public var shmMode = FileMode(defaults.shmMode)
    @Option(help: "PEM certificate chain: every listener serves TLS 1.2/1.3 (CONTRACT §13).")
    public var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.") public var tlsKey: String?
    @Option(help: "PEM CA bundle peers must chain to; outgoing peer calls use TLS.") public var tlsCa: String?
    @Option(help: "PEM CA bundle clients of the peer listener must chain to (mutual TLS).")
    public var tlsClientCa: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") public var logLevel = Logger.Level
        .info

    public init() {}

    /// The validated configuration: per-flag ranges here, cross-flag rules in `NodeConfiguration.validate()`.
    public func configuration() throws(ServeSettings.Invalid) -> NodeConfiguration {
        var c = NodeConfiguration()
        c.clusterID = clusterId
        c.role = role
        c.admin = admin
        c.compat = compat
        let listensByDefault = role == .prompt && compat.promptListensByDefault
        c.listen = listen ?? (listensByDefault ? ListenAddress(host: "127.0.0.1", port: 26000) : nil)
        c.enableSwitchRole = enableSwitchRole
        c.deviceIDs = deviceIds.ids
        c.devicePoolBytes = devicePool.bytes
        c.hostPoolBytes = hostPool.bytes
        c.pageShift = pageShift
        c.syncKVTimeoutMs = try Self.bounded(syncKvTimeoutMs, "--sync-kv-timeout-ms", 1...Int.max)
        c.maxLinks = try Self.bounded(maxLinks, "--max-links", 1...Int.max)
        c.adminToken = adminToken
        c.peerToken = peerToken
        c.maxConnections = try Self.bounded(maxConnections, "--max-connections", 1...1_000_000)
        c.maxJSONBodyBytes = try Self.bounded(maxJsonBody, "--max-json-body")
        c.httpLimits.maxHeaderBytes = try Self.bounded(maxHeaderBytes, "--max-header-bytes")
        c.httpLimits.maxHeaderCount = try Self.bounded(maxHeaderCount, "--max-header-count", 1...10_000)
        let ms = 1...86_400_000
        c.headerTimeoutMs = try Self.bounded(headerTimeoutMs, "--header-timeout-ms", ms)
        c.bodyTimeoutMs = try Self.bounded(bodyTimeoutMs, "--body-timeout-ms", ms)
        c.idleTimeoutMs = try Self.bounded(idleTimeoutMs, "--idle-timeout-ms", ms)
        c.ioThreads = try Self.bounded(ioThreads, "--io-threads", 1...1024)
        c.stripeBytes = stripeBytes.bytes
        c.streamsPerTransfer = try Self.bounded(streamsPerTransfer, "--streams-per-transfer", 1...1024)
        c.transferHistory = try Self.bounded(transferHistory, "--transfer-history", 1...1_000_000)
        c.kvLeaseMs = try Self.bounded(kvLeaseMs, "--kv-lease-ms", 0...86_400_000)
        c.eventHistory = try Self.bounded(eventHistory, "--event-history", 1...1_000_000)
        c.maxEventStreams = try Self.bounded(maxEventStreams, "--max-event-streams", 1...10_000)
        c.shmDir = shmDir
        c.shmMode = shmMode.bits
        c.tls = TLSFiles(certificate: tlsCert, key: tlsKey, ca: tlsCa, clientCA: tlsClientCa)
        if let complaint = c.validate() { throw .init(message: complaint) }
        return c
    }

    private static func bounded(
        _ v: Int,
        _ flag: String,
        _ range: ClosedRange<Int>
    ) throws(ServeSettings.Invalid) -> Int {
        guard range.contains(v) else {
            throw .init(message: "\(flag): '\(v)' is not an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// A byte count that must fit an `Int` (the HTTP limits).
    private static func bounded(_ v: ByteCount, _ flag: String) throws(ServeSettings.Invalid) -> Int {
        guard v.bytes <= UInt64(Int32.max) else { throw .init(message: "\(flag): '\(v)' is larger than 2GiB") }
        return Int(v.bytes)
    }
}
