import DataDistModel
import HTTPCore
import HTTPServer

/// The peer protocol listener (`/v1/peer/...`, `llm.listenIpInfo`). For now: the hello a linker sends
/// to learn who listens here, link offers, unlink notices and probes (docs/peer-protocol.md).
struct PeerAPI: HTTPHandler {
    let core: NodeCore
    private let router: Router
    private let token: BearerToken?

    init(core: NodeCore) {
        self.core = core
        self.token = core.config.peerToken.map(BearerToken.init)
        let identity = PeerIdentity(clusterID: core.config.clusterID, bootID: core.bootID)
        self.router = Router(
            [
                Route("GET", "/v1/peer/hello") { _ in
                    var body = identity.json.objectValue ?? [:]
                    body["version"] = .string(DataDistVersion.string)
                    return .json(200, .object(body))
                }
            ] + PeerLinkService(core: core).routes(includeOffer: true) + PeerTransferService(core: core).routes
        )
    }

    func bodyLimit(for head: HTTPRequestHead) -> Int { router.bodyLimit(for: head, json: core.config.maxJSONBodyBytes) }

    func bodySink(for head: HTTPRequestHead) -> (any HTTPBodySink)? { router.sink(for: head) }

    func preflight(_ head: HTTPRequestHead) -> HTTPResponse? {
        if let token, !token.accepts(head.headers) {
            return .error(
                APIError(.UNAUTHORIZED, "this peer listener requires the peer token"),
                headers: ["WWW-Authenticate": "Bearer"]
            )
        }
        switch router.match(method: head.method, path: head.path) {
        case .found(let route, let params):
            return router.checkStreamed(head, route: route, params: params).map { .error($0) }
        case .methodNotAllowed(let allow):
            return .error(
                APIError(.METHOD_NOT_ALLOWED, "\(head.method) is not allowed on \(head.path)"),
                headers: ["Allow": allow.joined(separator: ", ")]
            )
        case .notFound:
            return .error(APIError(.NOT_FOUND, "no peer route for \(head.path)"))
        }
    }

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        guard case .found(let route, let params) = router.match(method: request.method, path: request.path) else {
            responder.respond(.error(APIError(.NOT_FOUND, "no peer route for \(request.path)")))
            return
        }
        route.invoke(request, params: params, responder: responder)
    }

    func errorResponse(status: Int, reason: String) -> HTTPResponse {
        var r = HTTPResponse.error(APIError(APIStatus.forHTTPStatus(status), reason))
        r.status = status
        return r
    }
}
