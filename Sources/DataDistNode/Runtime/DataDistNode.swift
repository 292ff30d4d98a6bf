import DataDistModel
import HTTPServer
import Logging

/// One datadist node: the admin API, and the peer listener its role asks for.
public final class DataDistNode: Sendable {
    let core: NodeCore
    let roles: RoleController
    let links: LinkController
    let transfers: TransferController
    private let admin: HTTPServer
    /// Expires abandoned transfers every few seconds (their pins must not outlive them).
    private let sweeper: TransferSweeper

    /// Reserves the pools' address space (a size that cannot be reserved throws, naming its flag).
    public init(configuration: NodeConfiguration, logger: Logger = Logger(label: "datadist")) throws(NodeStartError) {
        let tls = try NodeTLS(configuration.tls)
        core = NodeCore(
            config: configuration,
            logger: logger,
            memory: try PoolMemorySet.reserve(configuration),
            tls: tls
        )
        links = LinkController(core: core)
        roles = RoleController(core: core, links: links)
        transfers = TransferController(core: core)
        var adminConfig = HTTPServerConfiguration(host: configuration.admin.host, port: Int(configuration.admin.port))
        adminConfig.name = "admin"
        adminConfig.limits = configuration.httpLimits
        adminConfig.maxConnections = configuration.maxConnections
        adminConfig.loops = configuration.ioThreads
        // Liveness and readiness probes still answer when silent connections fill the cap.
        adminConfig.reservedPaths = ["/healthz", "/readyz"]
        adminConfig.logger = logger
        adminConfig.headerTimeoutMs = configuration.headerTimeoutMs
        adminConfig.bodyTimeoutMs = configuration.bodyTimeoutMs
        adminConfig.idleTimeoutMs = configuration.idleTimeoutMs
        adminConfig.tls = tls.admin
        let core = self.core
        // Link offers carry the admin port as the callback address: known before the first request is served
        // (a link sent as soon as /healthz answers once saw port 0 while `start` was still spawning loops).
        adminConfig.onListening = { port in core.state.withLock { $0.adminPort = port } }
        sweeper = TransferSweeper(core: core)
        admin = HTTPServer(
            configuration: adminConfig,
            handler: AdminAPI(core: core, roles: roles, links: links, transfers: transfers)
        )
    }

    /// Binds the peer listener (if the configuration has one) and the admin API. Throws a message naming
    /// the address on failure; nothing is left running.
    public func start() throws(NodeStartError) {
        if let listen = core.config.listen {
            let server: HTTPServer
            do throws(APIError) {
                server = try PeerListener(core: core).start(on: listen)
            } catch {
                core.memory.removeFiles()
                throw NodeStartError(message: "--listen \(listen): \(error.message)")
            }
            core.state.withLock { s in
                s.peerServer = server
                s.role.commitInitialListen(ListenAddress(host: listen.host, port: UInt16(server.port)))
            }
        }
        do {
            try admin.start()
        } catch {
            let peer = core.state.withLock { s in
                let p = s.peerServer
                s.peerServer = nil
                return p
            }
            peer?.stop()
            core.memory.removeFiles()
            throw NodeStartError(message: "--admin \(core.config.admin): \(error)")
        }
        core.logger.info(
            "datadist node started",
            metadata: [
                "cluster_id": "\(core.config.clusterID)", "role": "\(core.config.role.rawValue)",
                "admin": "\(core.config.admin.host):\(admin.port)",
                "listen": "\(core.state.withLock { $0.role.listen }.map { "\($0)" } ?? "none")",
                "boot_id": "\(core.bootID)",
            ]
        )
    }

    deinit { sweeper.cancel() }

    /// The bound admin port (after `start()`).
    public var adminPort: Int { admin.port }
    /// The bound peer-listener port, or nil when not listening.
    public var peerPort: Int? { core.state.withLock { $0.peerServer?.port } }
    public var bootID: String { core.bootID }

    /// Graceful stop: `/readyz` turns 503, the admin API and the peer listener finish in-flight requests
    /// (bounded) and close.
    public func stop() {
        let peer = core.state.withLock { s in
            s.stopping = true
            let p = s.peerServer
            s.peerServer = nil
            return p
        }
        admin.stop()
        peer?.stop()
        sweeper.cancel()
        core.memory.removeFiles()
        core.logger.info("datadist node stopped")
    }
}

/// Why a node could not start (one line, naming the flag).
public struct NodeStartError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
