import DataDistModel

/// The answering side of the peer protocol's link messages: link offers (on the peer listener) and
/// unlink notices and probes (on the peer listener, and on the admin port for a listener calling back
/// a linker). Pure state changes under the node lock; safe on the event loop.
struct PeerLinkService: Sendable {
    let core: NodeCore

    /// `POST /v1/peer/link`.
    func accept(_ offer: PeerLinkOffer) throws(APIError) -> PeerIdentity {
        let me = core.config.clusterID
        guard offer.listenerClusterID == me else {
            throw APIError(
                .LLM_LINK_FAILED,
                "this peer listener is cluster \(me), not cluster \(offer.listenerClusterID)"
            )
        }
        guard offer.linkerClusterID != me else {
            throw APIError(.LLM_LINK_FAILED, "the linker has the same cluster id (\(me)) as this node")
        }
        let link = Link(
            remoteClusterID: offer.linkerClusterID,
            direction: .inbound,
            remoteIPInfo: offer.callbackIPInfo ?? "",
            remoteBootID: offer.linkerBootID,
            secret: offer.linkSecret,
            linkedAtMs: NodeCore.nowUnixMs()
        )
        let maxLinks = core.config.maxLinks
        let replaced = try core.state.withLock { s throws(APIError) in
            if s.draining {
                throw APIError(.NODE_DRAINING, "the listener is draining for a role switch; retry later")
            }
            if s.switchInProgress || s.stopping {
                throw APIError(.LLM_PROCESSING_LINK, "the listener is switching roles or stopping; retry")
            }
            return try s.links.acceptInbound(link, maxLinks: maxLinks)
        }
        core.logger.info(
            "inbound link",
            metadata: ["remote_cluster_id": "\(offer.linkerClusterID)", "replaced_stale": "\(replaced)"]
        )
        core.emitLink("link_up", link, reason: replaced ? "relinked" : "linked")
        return PeerIdentity(clusterID: me, bootID: core.bootID)
    }

    /// `POST /v1/peer/unlink`: the peer dropped (or drops) its side; drop ours. Unknown links succeed.
    func unlink(_ notice: PeerLinkNotice) throws(APIError) {
        let removed = try core.state.withLock { s throws(APIError) -> Link? in
            guard let link = s.links[notice.clusterID] else { return nil }
            guard BearerToken.constantTimeEquals(Array(link.secret.utf8), Array(notice.linkSecret.utf8)) else {
                throw APIError(.LLM_NOT_YET_LINK, "no link with cluster \(notice.clusterID) has that secret")
            }
            return s.links.remove(notice.clusterID)
        }
        if let link = removed {
            core.logger.info("unlinked by peer", metadata: ["remote_cluster_id": "\(notice.clusterID)"])
            core.emitLink("link_down", link, reason: "unlinked by peer")
        }
    }

    /// `POST /v1/peer/probe`: does this node still hold the link the caller holds?
    func probe(_ notice: PeerLinkNotice) throws(APIError) {
        try core.state.withLock { s throws(APIError) in
            guard let link = s.links[notice.clusterID],
                BearerToken.constantTimeEquals(Array(link.secret.utf8), Array(notice.linkSecret.utf8))
            else {
                throw APIError(.LLM_NOT_YET_LINK, "this node holds no such link with cluster \(notice.clusterID)")
            }
        }
    }

    /// The routes, for the peer listener (all) and the admin port (callbacks: unlink and probe).
    func routes(includeOffer: Bool) -> [Route] {
        var routes: [Route] = []
        let ok: JSONValue = ["status": "LLM_SUCCESS", "code": 0]
        if includeOffer {
            routes.append(
                Route("POST", "/v1/peer/link", needsAuth: false) { ctx throws(APIError) in
                    .json(200, try accept(try PeerLinkOffer.decode(try ctx.request.jsonBody())).json)
                }
            )
        }
        routes.append(
            Route("POST", "/v1/peer/unlink", needsAuth: false) { ctx throws(APIError) in
                try unlink(try PeerLinkNotice.decode(try ctx.request.jsonBody()))
                return .json(200, ok)
            }
        )
        routes.append(
            Route("POST", "/v1/peer/probe", needsAuth: false) { ctx throws(APIError) in
                try probe(try PeerLinkNotice.decode(try ctx.request.jsonBody()))
                return .json(200, ok)
            }
        )
        return routes
    }
}
