import DataDistModel
import HTTPCore
import HTTPServer

/// The admin API (CONTRACT §4, §7, §8): the routed handler with the admin token (health routes open) and
/// request metrics.
typealias AdminAPI = RoutedAPI

extension RoutedAPI {
    init(core: NodeCore, roles: RoleController, links: LinkController, transfers: TransferController) {
        self.init(
            router: Router(AdminRoutes.table(core: core, roles: roles, links: links, transfers: transfers)),
            policy: Policy(
                token: core.config.adminToken.map(BearerToken.init),
                routesMayWaiveAuth: true,
                unauthorizedMessage: "a valid 'Authorization: Bearer <token>' header is required",
                notFoundMessage: "no route for",
                listsAllowedMethods: true,
                metrics: core.metrics
            ),
            jsonBodyLimit: core.config.maxJSONBodyBytes
        )
    }
}
