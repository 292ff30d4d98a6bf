import ArgumentParser
import DataDistModel
import DataDistNode
import Dispatch
import HTTPServer
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `datadist serve`: one node. Every flag may also come from `DATADIST_<NAME>` (flag wins).
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start one datadist node.",
        discussion: "Every flag can also be set by an environment variable DATADIST_<FLAG> (e.g. DATADIST_CLUSTER_ID)."
    )

    @Option(help: "This node's cluster id (UInt64). [default: 0]") var clusterId: String?
    @Option(help: "Initial role: prompt, decoder or mix. [default: prompt]") var role: String?
    @Option(help: "Admin API address HOST:PORT. [default: 127.0.0.1:9200]") var admin: String?
    @Option(
        help: "Peer listener IP:PORT (llm.listenIpInfo); required for prompt. [default: 127.0.0.1:26000 for prompt]"
    )
    var listen: String?
    @Flag(help: "Allow PUT /v1/role (LLM-DataDist enable_switch_role).") var enableSwitchRole = false
    @Option(help: "Comma-separated device ids; more than one = multi-device mode. [default: 0]") var deviceIds: String?
    @Option(help: "Device pool capacity (e.g. 512MiB, 4GiB). [default: 1GiB]") var devicePool: String?
    @Option(help: "Host pool capacity. [default: 1GiB]") var hostPool: String?
    @Option(help: "Pool page size = 2^N bytes, N in [10, 31). [default: 16]") var pageShift: String?
    @Option(help: "Default bound of every pull/push in ms. [default: 1000]") var syncKvTimeoutMs: String?
    @Option(help: "Total links this node may hold. [default: 512]") var maxLinks: String?
    @Option(help: "Bearer token required on the admin API (except /healthz, /readyz).") var adminToken: String?
    @Option(help: "Bearer token nodes present on the peer protocol.") var peerToken: String?
    @Option(help: "Open connections per listener; one more gets 503. [default: 1024]") var maxConnections: String?
    @Option(help: "Largest JSON request body (e.g. 1MiB). [default: 1MiB]") var maxJsonBody: String?
    @Option(help: "Largest request line + headers. [default: 32KiB]") var maxHeaderBytes: String?
    @Option(help: "Most header fields in a request. [default: 100]") var maxHeaderCount: String?
    @Option(help: "Time to receive a request head, ms. [default: 10000]") var headerTimeoutMs: String?
    @Option(help: "Longest pause inside a request body, ms. [default: 30000]") var bodyTimeoutMs: String?
    @Option(help: "Idle keep-alive connections close after this, ms. [default: 60000]") var idleTimeoutMs: String?
    @Option(help: "Ended transfers kept for GET /v1/transfers. [default: 4096]") var transferHistory: String?
    @Option(help: "Bound keys expire after this many ms unless pulled or renewed; 0 = never. [default: 0]")
    var kvLeaseMs: String?
    @Option(help: "Events kept for /v1/events replay. [default: 4096]") var eventHistory: String?
    @Option(help: "Concurrent /v1/events streams; one more gets 503. [default: 64]") var maxEventStreams: String?
    @Option(help: "Directory of shared-memory pool files and registered regions (e.g. /dev/shm).") var shmDir: String?
    @Option(help: "Octal permission bits of the pool files. [default: 0600]") var shmMode: String?
    @Option(help: "Profile: documented, cache-manager or legacy. [default: documented]") var compat: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. [default: info]") var logLevel:
        String?

    func run() throws {
        let (configuration, level) = Self.orFail { () throws(ServeSettings.Invalid) in try settings() }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        HTTPServer.ignoreSIGPIPE()
        let node: DataDistNode
        do throws(NodeStartError) {
            node = try DataDistNode(configuration: configuration, logger: Logger(label: "datadist"))
            try node.start()
        } catch {
            Self.fail(error.message)
        }
        Self.waitForTermination()
        node.stop()
        Glibc.exit(0)
    }

    /// Flags first, then `DATADIST_*`.
    private func settings() throws(ServeSettings.Invalid) -> (NodeConfiguration, Logger.Level) {
        let env = ServeEnvironment.current
        var settings = ServeSettings(
            clusterID: clusterId ?? env["CLUSTER_ID"],
            role: role ?? env["ROLE"],
            admin: admin ?? env["ADMIN"],
            listen: listen ?? env["LISTEN"],
            enableSwitchRole: enableSwitchRole ? "true" : env["ENABLE_SWITCH_ROLE"],
            deviceIDs: deviceIds ?? env["DEVICE_IDS"],
            devicePool: devicePool ?? env["DEVICE_POOL"],
            hostPool: hostPool ?? env["HOST_POOL"],
            pageShift: pageShift ?? env["PAGE_SHIFT"],
            syncKVTimeoutMs: syncKvTimeoutMs ?? env["SYNC_KV_TIMEOUT_MS"],
            maxLinks: maxLinks ?? env["MAX_LINKS"],
            adminToken: adminToken ?? env["ADMIN_TOKEN"],
            peerToken: peerToken ?? env["PEER_TOKEN"]
        )
        settings.maxConnections = maxConnections ?? env["MAX_CONNECTIONS"]
        settings.maxJSONBody = maxJsonBody ?? env["MAX_JSON_BODY"]
        settings.maxHeaderBytes = maxHeaderBytes ?? env["MAX_HEADER_BYTES"]
        settings.maxHeaderCount = maxHeaderCount ?? env["MAX_HEADER_COUNT"]
        settings.headerTimeoutMs = headerTimeoutMs ?? env["HEADER_TIMEOUT_MS"]
        settings.bodyTimeoutMs = bodyTimeoutMs ?? env["BODY_TIMEOUT_MS"]
        settings.idleTimeoutMs = idleTimeoutMs ?? env["IDLE_TIMEOUT_MS"]
        settings.transferHistory = transferHistory ?? env["TRANSFER_HISTORY"]
        settings.kvLeaseMs = kvLeaseMs ?? env["KV_LEASE_MS"]
        settings.eventHistory = eventHistory ?? env["EVENT_HISTORY"]
        settings.maxEventStreams = maxEventStreams ?? env["MAX_EVENT_STREAMS"]
        settings.shmDir = shmDir ?? env["SHM_DIR"]
        settings.shmMode = shmMode ?? env["SHM_MODE"]
        settings.compat = compat ?? env["COMPAT"]
        return (try settings.configuration(), try ServeSettings.logLevel(logLevel ?? env["LOG_LEVEL"]))
    }

    private static func orFail<T>(_ body: () throws(ServeSettings.Invalid) -> T) -> T {
        do {
            return try body()
        } catch {
            fail(error.message)
        }
    }

    /// Blocks until SIGTERM or SIGINT.
    private static func waitForTermination() {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let stop = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "datadist.signals")
        let sources = [SIGTERM, SIGINT].map { sig in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        stop.wait()
        for source in sources { source.cancel() }
    }

    private static func fail(_ message: String) -> Never {
        var line = "datadist: \(message)\n"
        line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
        Glibc.exit(2)
    }
}

/// `DATADIST_*` environment variables.
enum ServeEnvironment {
    static var current: [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if text.hasPrefix("DATADIST_"), let eq = text.firstIndex(of: "=") {
                out[String(text[text.index(text.startIndex, offsetBy: 9)..<eq])] = String(
                    text[text.index(after: eq)...]
                )
            }
            p += 1
        }
        return out
    }
}
