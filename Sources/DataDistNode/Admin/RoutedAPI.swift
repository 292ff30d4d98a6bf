import DataDistModel
import HTTPCore
import HTTPServer

/// The one routed handler behind both listeners (admin API, peer listener): each request head is matched
/// against the route table ONCE, and the accepted value carries the route and its parameters to completion.
/// The two listeners differ only in `RoutedAPI.Policy`: which token guards which route, the wording of a few
/// refusals, and whether requests are counted in `/metrics`.
struct RoutedAPI: HTTPHandler {
    struct Policy: Sendable {
        /// The bearer token this listener requires, if any.
        var token: BearerToken?
        /// True: routes with `needsAuth == false` (`/healthz`, `/readyz`) are open (admin). False: the token
        /// guards every request (peer listener).
        var routesMayWaiveAuth: Bool
        var unauthorizedMessage: String
        /// "no route for" / "no peer route for".
        var notFoundMessage: String
        /// 405 messages list the allowed methods (admin).
        var listsAllowedMethods: Bool
        /// Requests counted by route label (admin); nil counts nothing.
        var metrics: RequestMetrics?
    }

    let router: Router
    let policy: Policy
    /// The JSON body limit of every route that does not stream its body.
    let jsonBodyLimit: Int

    init(router: Router, policy: Policy, jsonBodyLimit: Int) {
        self.router = router
        self.policy = policy
        self.jsonBodyLimit = jsonBodyLimit
    }

    func accept(_ head: HTTPRequestHead) -> HTTPAcceptance {
        let match = router.match(method: head.method, path: head.path)
        var streamed: StreamedBody?
        if head.framing != .none, case .found(let route, _) = match { streamed = route.streamed }
        let limit = streamed.map { $0.limit() } ?? jsonBodyLimit
        // A declared length over the limit is answered first (413 precedes auth and routing, as it always has).
        if case .contentLength(let length) = head.framing, length > limit {
            return .reject(errorResponse(status: 413, reason: "request body too large"))
        }
        if let token = policy.token, !token.accepts(head.headers) {
            var needsAuth = true
            if policy.routesMayWaiveAuth, case .found(let route, _) = match { needsAuth = route.needsAuth }
            if needsAuth {
                let refusal = APIError(.UNAUTHORIZED, policy.unauthorizedMessage)
                return .reject(counted("unauthorized", .error(refusal, headers: ["WWW-Authenticate": "Bearer"])))
            }
        }
        switch match {
        case .found(let route, let params):
            do {
                try route.streamed?.check(head, params)
            } catch {
                return .reject(counted(route.label, .error(error)))
            }
            let sink = streamed?.sink(head, params)
            let label = route.label
            let metrics = policy.metrics
            return .accept(
                HTTPAcceptedRequest(bodyLimit: limit, sink: sink) { request, responder in
                    guard let metrics else {
                        route.invoke(request, params: params, responder: responder)
                        return
                    }
                    let counting = HTTPResponder { response in
                        metrics.record(route: label, status: response.status)
                        responder.respond(response)
                    }
                    route.invoke(request, params: params, responder: counting)
                }
            )
        case .methodNotAllowed(let allow):
            let list = allow.joined(separator: ", ")
            var message = "\(head.method) is not allowed on \(head.path)"
            if policy.listsAllowedMethods { message += " (allowed: \(list))" }
            return .reject(
                counted("unmatched", .error(APIError(.METHOD_NOT_ALLOWED, message), headers: ["Allow": list]))
            )
        case .notFound:
            return .reject(counted("unmatched", .error(APIError(.NOT_FOUND, "\(policy.notFoundMessage) \(head.path)"))))
        }
    }

    func errorResponse(status: Int, reason: String) -> HTTPResponse {
        var response = HTTPResponse.error(APIError(APIStatus.forHTTPStatus(status), reason))
        response.status = status
        return counted("http_error", response)
    }

    private func counted(_ label: String, _ response: HTTPResponse) -> HTTPResponse {
        policy.metrics?.record(route: label, status: response.status)
        return response
    }
}
