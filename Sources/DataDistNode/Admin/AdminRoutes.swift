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
            Route("GET", "/v1/role") { _ in .json(200, core.roleBody()) },
            Route("PUT", "/v1/role") { ctx, done throws(APIError) in
                let body = try ctx.request.jsonBody()
                roles.switchRole(body: body, respondAsync: Self.prefersAsync(ctx.request.headers)) { result in
                    done(result.map { status, answer in .json(status, answer) })
                }
            },
        ] + LinkRoutes(core: core, links: links).routes + CacheRoutes(core: core).routes
            + RegionRoutes(core: core).routes
            + TransferRoutes(core: core, transfers: transfers).routes
            + AsyncTransferRoutes(core: core, sync: TransferRoutes(core: core, transfers: transfers)).routes
            + OrchestrationRoutes(core: core, links: links).routes + LeaseRoutes(core: core).routes
            + PeerLinkService(core: core).routes(includeOffer: false) + PeerTransferService(core: core).routes
    }

    /// `Prefer: respond-async` (RFC 7240): answer 202 once the switch's checks pass.
    static func prefersAsync(_ headers: HTTPHeaders) -> Bool {
        headers.values("Prefer").contains { value in
            value.split(separator: ",").contains { preference in
                let token = preference.split(separator: ";").first ?? ""
                return token.filter { $0 != " " && $0 != "\t" }.lowercased() == "respond-async"
            }
        }
    }
}
