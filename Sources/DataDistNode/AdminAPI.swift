import DataDistModel
import HTTPCore
import HTTPServer

/// The admin API (CONTRACT §4, §7, §8): routing, auth, body limits, request metrics.
struct AdminAPI: HTTPHandler {
    let core: NodeCore
    let router: Router
    private let token: BearerToken?

    init(core: NodeCore, roles: RoleController, links: LinkController, transfers: TransferController) {
        self.core = core
        self.router = Router(AdminRoutes.table(core: core, roles: roles, links: links, transfers: transfers))
        self.token = core.config.adminToken.map(BearerToken.init)
    }

    func bodyLimit(for head: HTTPRequestHead) -> Int {
        router.bodyLimit(for: head, json: core.config.maxJSONBodyBytes)
    }

    func bodySink(for head: HTTPRequestHead) -> (any HTTPBodySink)? { router.sink(for: head) }

    func preflight(_ head: HTTPRequestHead) -> HTTPResponse? {
        let match = router.match(method: head.method, path: head.path)
        let needsAuth: Bool
        if case .found(let route, _) = match { needsAuth = route.needsAuth } else { needsAuth = true }
        if needsAuth, let token, !token.accepts(head.headers) {
            return counted(
                "unauthorized",
                .error(
                    APIError(.UNAUTHORIZED, "a valid 'Authorization: Bearer <token>' header is required"),
                    headers: ["WWW-Authenticate": "Bearer"]
                )
            )
        }
        switch match {
        case .found(let route, let params):
            if let refusal = router.checkStreamed(head, route: route, params: params) {
                return counted(route.label, .error(refusal))
            }
            return nil
        case .methodNotAllowed(let allow):
            return counted(
                "unmatched",
                .error(
                    APIError(
                        .METHOD_NOT_ALLOWED,
                        "\(head.method) is not allowed on \(head.path) (allowed: \(allow.joined(separator: ", ")))"
                    ),
                    headers: ["Allow": allow.joined(separator: ", ")]
                )
            )
        case .notFound:
            return counted("unmatched", .error(APIError(.NOT_FOUND, "no route for \(head.path)")))
        }
    }

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        guard case .found(let route, let params) = router.match(method: request.method, path: request.path) else {
            // preflight already answered every unmatched request
            responder.respond(.error(APIError(.NOT_FOUND, "no route for \(request.path)")))
            return
        }
        let label = route.label
        let metrics = core.metrics
        let counting = HTTPResponder { response in
            metrics.record(route: label, status: response.status)
            responder.respond(response)
        }
        route.invoke(request, params: params, responder: counting)
    }

    func errorResponse(status: Int, reason: String) -> HTTPResponse {
        counted("http_error", .error(APIError(APIStatus.forHTTPStatus(status), reason)), status: status)
    }

    private func counted(_ label: String, _ response: HTTPResponse, status: Int? = nil) -> HTTPResponse {
        core.metrics.record(route: label, status: status ?? response.status)
        var r = response
        if let status { r.status = status }
        return r
    }
}
