import DataDistModel
import Dispatch
import Synchronization

/// `link_clusters` / `unlink_clusters` / `check_link_status` on the linking side (CONTRACT §5). Checks and
/// reservations happen under the node lock in list order; handshakes run concurrently on worker threads
/// (libcurl blocks), never on an HTTP event loop.
final class LinkController: Sendable {
    private let core: NodeCore
    private let workers = BlockingWorkers(name: "datadist-link")

    init(core: NodeCore) { self.core = core }

    // MARK: link

    func link(_ request: LinkRequest, completion: @escaping @Sendable (LinkBatchResult) -> Void) {
        var early: [Int: APIError] = [:]
        var planned: [(index: Int, spec: ClusterSpec, address: ListenAddress, local: String?)] = []
        for (i, spec) in request.clusters.enumerated() {
            do throws(APIError) {
                let (address, local) = try prepareLink(spec)
                planned.append((i, spec, address, local))
            } catch {
                early[i] = error
            }
        }
        run(
            count: request.clusters.count,
            early: early,
            jobs: planned.map { p in
                (p.index, { () throws(APIError) in try self.handshake(p.spec, p.address, p.local, request.timeoutMs) })
            }
        ) { errors in
            completion(
                LinkBatchResult(
                    entries: request.clusters.enumerated().map {
                        LinkBatchResult.Entry(remoteClusterID: $1.remoteClusterID, error: errors[$0])
                    }
                )
            )
        }
    }

    /// Per-cluster checks that need no network, then the reservation.
    private func prepareLink(_ spec: ClusterSpec) throws(APIError) -> (ListenAddress, String?) {
        let address = try spec.remoteAddress()
        let local = try spec.localAddress()
        if spec.remoteClusterID == core.config.clusterID {
            throw .paramInvalid("cluster \(spec.remoteClusterID) is this node's own cluster id")
        }
        let maxLinks = core.config.maxLinks
        try core.state.withLock { s throws(APIError) in
            if s.draining {
                throw APIError(.NODE_DRAINING, "the node is draining for a role switch: no new links; retry later")
            }
            if s.switchInProgress {
                throw APIError(.LLM_PROCESSING_LINK, "a role switch is in progress; retry")
            }
            try Self.checkLinkGate(s.role.gateRole)
            try s.links.beginLink(spec.remoteClusterID, maxLinks: maxLinks)
        }
        return (address, local)
    }

    /// CONTRACT §4 role gates (`--compat legacy` only; nil = no gates): only DECODER and MIX link.
    static func checkLinkGate(_ role: Role?) throws(APIError) {
        if role == .prompt { throw .paramInvalid("a PROMPT node may not link (allowed roles: DECODER, MIX)") }
    }

    /// Runs the handshake of one reserved cluster and ends its reservation.
    private func handshake(
        _ spec: ClusterSpec,
        _ address: ListenAddress,
        _ local: String?,
        _ timeoutMs: Int
    ) throws(APIError) {
        let remote = spec.remoteClusterID
        let secret = BootID.make()
        let (me, adminPort) = core.state.withLock { ($0.role.clusterID, $0.adminPort) }
        let callback = ListenAddress(host: local ?? callbackHost, port: UInt16(clamping: adminPort))
        let offer = PeerLinkOffer(
            linkerClusterID: me,
            listenerClusterID: remote,
            linkerBootID: core.bootID,
            callbackIPInfo: callback.description,
            linkSecret: secret
        )
        let identity: PeerIdentity
        do throws(APIError) {
            identity = try handshake(address, offer, remote: remote, secret: secret, timeoutMs: timeoutMs)
        } catch {
            core.state.withLock { $0.links.finishLink(remote, nil) }
            core.logger.warning("link failed", metadata: ["remote_cluster_id": "\(remote)", "error": "\(error)"])
            throw error
        }
        let link = Link(
            remoteClusterID: remote,
            direction: .outbound,
            remoteIPInfo: address.description,
            remoteBootID: identity.bootID,
            secret: secret,
            linkedAtMs: NodeCore.nowUnixMs()
        )
        core.state.withLock { $0.links.finishLink(remote, link) }
        core.logger.info("linked", metadata: ["remote_cluster_id": "\(remote)", "address": "\(address)"])
        core.emitLink("link_up", link, reason: "linked")
    }

    /// The handshake call: the listener's identity, which must be cluster `remote`'s.
    private func handshake(
        _ address: ListenAddress,
        _ offer: PeerLinkOffer,
        remote: UInt64,
        secret: String,
        timeoutMs: Int
    ) throws(APIError) -> PeerIdentity {
        let json: JSONValue
        do throws(PeerCalls.Failure) {
            json = try core.peerCalls.post(address.description, "/v1/peer/link", offer.json, timeoutMs: timeoutMs)
        } catch {
            if case .timeout = error { forgetAfterTimeout(address: address.description, secret: secret) }
            throw error.apiError(.link, remote: remote)
        }
        guard let identity = PeerIdentity.decode(json), identity.clusterID == remote else {
            throw APIError(
                .LLM_LINK_FAILED,
                "\(address) answered the handshake with something that is not cluster \(remote)'s datadist identity"
            )
        }
        return identity
    }

    /// After a handshake timed out, the listener may have recorded the link: tell it to drop it (best effort).
    private func forgetAfterTimeout(address: String, secret: String) {
        let notice = PeerLinkNotice(clusterID: core.config.clusterID, bootID: core.bootID, linkSecret: secret)
        let calls = core.peerCalls
        workers.async { _ = try? calls.post(address, "/v1/peer/unlink", notice.json, timeoutMs: 1000) }
    }

    /// The host linkers give listeners for callbacks when the call names no `local_ip_info`.
    private var callbackHost: String {
        let host = core.config.admin.host
        return host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host
    }

    // MARK: unlink

    func unlink(_ request: LinkRequest, completion: @escaping @Sendable (LinkBatchResult) -> Void) {
        var early: [Int: APIError] = [:]
        var jobs: [(Int, Job)] = []
        for (i, spec) in request.clusters.enumerated() {
            let remote = spec.remoteClusterID
            let reserved: Link?
            do {
                if !request.force, spec.remoteIPInfo != nil { _ = try spec.remoteAddress() }
                reserved = try core.state.withLock { s throws(APIError) in try s.links.beginUnlink(remote) }
            } catch {
                early[i] = error
                continue
            }
            // Not linked: nothing to do (LLM_SUCCESS).
            guard let link = reserved else { continue }
            if request.force {
                dropLocally(link, reason: "force unlink")
            } else {
                jobs.append((i, { () throws(APIError) in try self.notifyAndDrop(link, timeoutMs: request.timeoutMs) }))
            }
        }
        run(count: request.clusters.count, early: early, jobs: jobs) { errors in
            completion(
                LinkBatchResult(
                    entries: request.clusters.enumerated().map {
                        LinkBatchResult.Entry(remoteClusterID: $1.remoteClusterID, error: errors[$0])
                    }
                )
            )
        }
    }

    private func dropLocally(_ link: Link, reason: String) {
        core.state.withLock { $0.links.finishUnlink(link.remoteClusterID, removed: true) }
        if link.direction == .outbound { core.peers.closeAll(peer: link.remoteIPInfo) }
        core.logger.info("unlinked", metadata: ["remote_cluster_id": "\(link.remoteClusterID)", "how": "\(reason)"])
        core.emitLink("link_down", link, reason: reason)
    }

    /// Unlinks `ids` and waits for the outcome (for a draining role switch, on its queue): the clusters now
    /// gone, and the last failure in list order.
    func unlinkAll(_ ids: [UInt64], force: Bool, timeoutMs: Int) -> (gone: [UInt64], failure: APIError?) {
        let request = LinkRequest(
            clusters: ids.map { ClusterSpec(remoteClusterID: $0) },
            timeoutMs: timeoutMs,
            force: force
        )
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<LinkBatchResult?>(nil)
        unlink(request) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        let entries = outcome.withLock { $0 }?.entries ?? []
        return (
            entries.filter { $0.error == nil }.map(\.remoteClusterID),
            entries.last(where: { $0.error != nil })?.error
        )
    }

    /// Non-force unlink: tell the peer first; keep the link when it cannot be told.
    private func notifyAndDrop(_ link: Link, timeoutMs: Int) throws(APIError) {
        let remote = link.remoteClusterID
        guard !link.remoteIPInfo.isEmpty else {
            core.state.withLock { $0.links.finishUnlink(remote, removed: false) }
            throw APIError(
                .LLM_UNLINK_FAILED,
                "cluster \(remote) gave no callback address; unlink from its side or use force"
            )
        }
        let notice = PeerLinkNotice(clusterID: core.config.clusterID, bootID: core.bootID, linkSecret: link.secret)
        var failure: APIError?
        do throws(PeerCalls.Failure) {
            _ = try core.peerCalls.post(link.remoteIPInfo, "/v1/peer/unlink", notice.json, timeoutMs: timeoutMs)
        } catch {
            // A peer that holds no such link any more is no failure: both sides are clean once ours goes.
            if !error.peerHoldsNoLink { failure = error.apiError(.unlink, remote: remote) }
        }
        if let failure {
            core.state.withLock { $0.links.finishUnlink(remote, removed: false) }
            core.logger.warning("unlink failed", metadata: ["remote_cluster_id": "\(remote)", "error": "\(failure)"])
            throw failure
        }
        dropLocally(link, reason: "unlink")
    }

    // MARK: check

    /// `check_link_status`: the link exists here and the peer still holds it (probed within the timeout).
    /// Throws what needs no network; `completion` gets the probe's outcome.
    func check(
        _ remote: UInt64,
        completion: @escaping @Sendable (Result<JSONValue, APIError>) -> Void
    ) throws(APIError) {
        let link = try core.state.withLock { s throws(APIError) in
            if s.role.gateRole == .prompt {
                throw .paramInvalid("check_link_status is not allowed for PROMPT (allowed roles: DECODER, MIX)")
            }
            guard let link = s.links[remote] else {
                throw APIError(.LLM_NOT_YET_LINK, "no link with cluster \(remote)")
            }
            return link
        }
        let timeoutMs = core.config.syncKVTimeoutMs
        let notice = PeerLinkNotice(clusterID: core.config.clusterID, bootID: core.bootID, linkSecret: link.secret)
        let calls = core.peerCalls
        workers.async {
            do throws(PeerCalls.Failure) {
                _ = try calls.post(link.remoteIPInfo, "/v1/peer/probe", notice.json, timeoutMs: timeoutMs)
            } catch {
                completion(.failure(error.apiError(.probe, remote: remote)))
                return
            }
            var body = LinkListing.json(link).objectValue ?? [:]
            body["status"] = "LLM_SUCCESS"
            body["code"] = 0
            completion(.success(.object(body)))
        }
    }

    // MARK: fan-out

    /// One cluster's network step of a batch; its error is that cluster's entry.
    typealias Job = @Sendable () throws(APIError) -> Void

    /// Runs `jobs` concurrently and calls `done` with every index's error (early ones included).
    private func run(
        count: Int,
        early: [Int: APIError],
        jobs: [(Int, Job)],
        done: @escaping @Sendable ([Int: APIError]) -> Void
    ) {
        let results = ResultSlots(early)
        let group = DispatchGroup()
        for (index, job) in jobs {
            workers.async(group: group) {
                do throws(APIError) {
                    try job()
                    results.set(index, nil)
                } catch {
                    results.set(index, error)
                }
            }
        }
        group.notify(queue: .global()) { done(results.all) }
    }
}

/// Per-index results written by concurrent jobs.
private final class ResultSlots: Sendable {
    private let slots: Mutex<[Int: APIError]>
    init(_ initial: [Int: APIError]) { slots = Mutex(initial) }
    func set(_ i: Int, _ e: APIError?) { slots.withLock { $0[i] = e } }
    var all: [Int: APIError] { slots.withLock { $0 } }
}
