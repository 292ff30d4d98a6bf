import DataDistModel
import HTTPCore

/// The admin route table. `openapi.yaml` lists exactly these (a test checks both ways).
enum AdminRoutes {
    static func table(
        core: NodeCore,
        roles: RoleController,
        links: LinkController,
        transfers: TransferController
    ) -> [Route] {
        let health = HealthRoutes(core: core)
        return [
            Route("GET", "/healthz", needsAuth: false) { health.healthz($0) },
            Route("GET", "/readyz", needsAuth: false) { health.readyz($0) },
            Route("GET", "/v1/node") { health.node($0) },
            Route("GET", "/metrics") { health.metrics($0) },
            Route("GET", "/v1/role") { $0.respond(200, core.roleBody()) },
            Route("PUT", "/v1/role") { ctx in
                switch ctx.request.jsonBody() {
                case .failure(let e): ctx.respond(e)
                case .success(let body):
                    roles.switchRole(body: body) { result in
                        switch result {
                        case .success(let answer): ctx.respond(200, answer)
                        case .failure(let e): ctx.respond(e)
                        }
                    }
                }
            },
        ] + LinkRoutes(core: core, links: links).routes + CacheRoutes(core: core).routes
            + TransferRoutes(core: core, transfers: transfers).routes
            + PeerLinkService(core: core).routes(includeOffer: false) + PeerTransferService(core: core).routes
    }
}
