import DataDistModel
import HTTPCore
import HTTPServer

/// The peer protocol listener (`/v1/peer/...`, `llm.listenIpInfo`): the routed handler with the peer token on
/// every route and no request metrics. Routes: the hello a linker sends to learn who listens here, link
/// offers, unlink notices, probes and transfers (docs/peer-protocol.md).
typealias PeerAPI = RoutedAPI

extension RoutedAPI {
    init(core: NodeCore) {
        let identity = PeerIdentity(clusterID: core.config.clusterID, bootID: core.bootID)
        let routes =
            [
                Route("GET", "/v1/peer/hello") { _ in
                    var body = identity.json.objectValue ?? [:]
                    body["version"] = .string(DataDistVersion.string)
                    return .json(200, .object(body))
                }
            ] + PeerLinkService(core: core).routes(includeOffer: true) + PeerTransferService(core: core).routes
        self.init(
            router: Router(routes),
            policy: Policy(
                token: core.config.peerToken.map(BearerToken.init),
                routesMayWaiveAuth: false,
                unauthorizedMessage: "this peer listener requires the peer token",
                notFoundMessage: "no peer route for",
                listsAllowedMethods: false,
                metrics: nil
            ),
            jsonBodyLimit: core.config.maxJSONBodyBytes
        )
    }
}
