import DataDistModel
import HTTPServer

/// Starts the peer listener (`llm.listenIpInfo`) for a node. Binding failures come back as LLM_FAILED
/// with the OS reason; nothing is left open.
struct PeerListener: Sendable {
    let core: NodeCore

    func start(on address: ListenAddress) throws(APIError) -> HTTPServer {
        var configuration = HTTPServerConfiguration(host: address.host, port: Int(address.port))
        configuration.name = "peer"
        configuration.limits = core.config.httpLimits
        configuration.maxConnections = core.config.maxConnections
        configuration.loops = core.config.ioThreads
        configuration.headerTimeoutMs = core.config.headerTimeoutMs
        configuration.bodyTimeoutMs = core.config.bodyTimeoutMs
        configuration.idleTimeoutMs = core.config.idleTimeoutMs
        configuration.tls = core.tls.peer
        let server = HTTPServer(configuration: configuration, handler: PeerAPI(core: core))
        do {
            try server.start()
        } catch {
            throw APIError(.LLM_FAILED, "cannot listen on \(address): \(error)")
        }
        core.logger.info("peer listener started", metadata: ["address": "\(address)"])
        return server
    }
}
