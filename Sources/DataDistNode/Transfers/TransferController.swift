import DataDistModel
import Dispatch
import Glibc
import KVFraming
import PeerClient

/// pull_cache / pull_blocks / push_cache / push_blocks on the initiating side (CONTRACT §6). Local checks
/// run at once; the transfer itself (libcurl, blocking) runs on a worker thread with the local cache pinned.
/// A synchronous transfer gets a thread of its own (its caller brings the concurrency); an asynchronous one
/// (CONTRACT §11, `control` given) runs in its remote's lane: at most `asyncTransfersPerPeer` at once per remote,
/// the rest queued in order, each worker reusing its thread and kept-alive connection for the next.
final class TransferController: Sendable {
    let core: NodeCore
    private let workers: BlockingWorkers
    private let lanes: PeerLanes<UInt64>

    init(core: NodeCore) {
        self.core = core
        workers = BlockingWorkers(name: "datadist-transfer")
        lanes = core.asyncLanes
    }

    /// A transfer's time: the bound its caller set (`timeout_ms`, what messages quote) and the deadline it gives.
    /// An asynchronous transfer's deadline runs from its submission, so at its turn less than its bound may be left.
    struct Budget: Sendable {
        let boundMs: Int
        let deadline: ContinuousClock.Instant

        /// What is left now, at least 1 ms: what the owner and libcurl are given for the next exchange.
        var remainingMs: Int { max(1, Int((deadline - ContinuousClock.now).milliseconds)) }
    }

    /// What a transfer needs from the link it uses.
    struct Route: Sendable {
        let remote: UInt64
        let address: String
        let credential: String
    }

    private func route(to remote: UInt64) throws(APIError) -> Route {
        let me = core.config.clusterID
        return try core.state.withLock { s throws(APIError) in
            guard let link = s.links[remote], !link.remoteIPInfo.isEmpty else {
                throw APIError(.LLM_NOT_YET_LINK, "no link with cluster \(remote)")
            }
            return Route(
                remote: remote,
                address: link.remoteIPInfo,
                credential: LinkCredential.value(clusterID: me, secret: link.secret)
            )
        }
    }

    // MARK: pull

    /// Checks and pins locally (a failure throws at once, nothing started), then pulls on a worker;
    /// `completion` gets the answer body or the error. `control` cancels it and reports progress.
    func pull(
        into cacheID: Int64,
        _ op: TransferOperation,
        from selector: TransferSelector,
        timeoutMs: Int,
        control: TransferControl? = nil,
        completion: @escaping @Sendable (Result<JSONValue, APIError>) -> Void
    ) throws(APIError) {
        let prepared = try preparePull(cacheID, op, selector)
        let keyStaysBound: Bool
        if case .key(let key) = selector, !key.identity.isPrefix, case .pullCache = op {
            keyStaysBound = true
        } else {
            keyStaysBound = false
        }
        run(.pull, prepared, timeoutMs: timeoutMs, control: control, keyStaysBound: keyStaysBound, completion) {
            cache,
            route,
            budget throws(APIError) in
            try self.runPull(cache, op, selector, route, budget, control: control)
        }
    }

    /// Runs a prepared transfer on a worker (synchronous) or in its remote's lane (asynchronous), releases the local
    /// pin, records and answers.
    private func run(
        _ kind: TransferMetrics.Kind,
        _ prepared: (CacheInfo, Route),
        timeoutMs: Int,
        control: TransferControl?,
        keyStaysBound: Bool = false,
        _ completion: @escaping @Sendable (Result<JSONValue, APIError>) -> Void,
        _ body: @escaping @Sendable (CacheInfo, Route, Budget) throws(APIError) -> Int
    ) {
        let (cache, route) = prepared
        guard let control else {
            workers.async {
                let started = ContinuousClock.now
                let budget = Budget(boundMs: timeoutMs, deadline: started + .milliseconds(timeoutMs))
                // The worker's outcome, a value: recorded and answered after the pin is released.
                let result = Result { () throws(APIError) in try body(cache, route, budget) }
                self.complete(kind, cache, route, started: started, result, completion)
            }
            return
        }
        let queued = QueuedTransfer(
            kind: kind,
            remote: route.remote,
            timeoutMs: timeoutMs,
            keyStaysBound: keyStaysBound
        )
        let submission = lanes.submit(route.remote) {
            let started = ContinuousClock.now
            var current = route
            let result = Result { () throws(APIError) in
                current = try self.dequeued(queued, control: control)
                return try body(cache, current, Budget(boundMs: queued.timeoutMs, deadline: queued.deadline))
            }
            self.complete(kind, cache, current, started: started, result, completion)
        }
        // Started at once: the running transfer enforces its own bound and notices a cancel itself.
        guard submission.queued else { return }
        // Exactly one of "the job runs" and "withdraw succeeds" happens, so the pin is released once either way.
        let (lanes, ticket) = (self.lanes, submission.ticket)
        control.whenCancelled {
            guard lanes.withdraw(ticket, from: route.remote) else { return }
            self.complete(
                kind,
                cache,
                route,
                started: queued.submitted,
                .failure(TransferControl.cancelledError),
                completion
            )
        }
        // The bound runs from submission: a transfer still queued when it passes ends now, not at its turn.
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(timeoutMs)) {
            guard lanes.withdraw(ticket, from: route.remote) else { return }
            self.complete(kind, cache, route, started: queued.submitted, .failure(queued.timeoutError), completion)
        }
    }

    /// What a queued transfer needs to decide, at its turn, whether it may still start.
    private struct QueuedTransfer: Sendable {
        let kind: TransferMetrics.Kind
        let remote: UInt64
        let timeoutMs: Int
        let keyStaysBound: Bool
        let submitted = ContinuousClock.now
        var deadline: ContinuousClock.Instant { submitted + .milliseconds(timeoutMs) }

        /// Its bound passed before its turn: nothing was sent, so nothing was consumed.
        var timeoutError: APIError {
            let what = kind == .pull ? "the pull from" : "the push to"
            let bound = keyStaysBound ? "; the key stays bound on cluster \(remote) and can be pulled again" : ""
            return APIError(
                .LLM_TIMEOUT,
                "\(what) cluster \(remote) waited for its turn past its \(timeoutMs) ms bound; nothing was sent\(bound)"
            )
        }
    }

    /// A queued transfer at its turn: cancelled or past its bound → it ends without the network; unlinked meanwhile →
    /// it fails as the peer would refuse it (LLM_NOT_YET_LINK). Else the link's current route.
    private func dequeued(_ queued: QueuedTransfer, control: TransferControl) throws(APIError) -> Route {
        if control.isCancelled { throw TransferControl.cancelledError }
        if ContinuousClock.now >= queued.deadline { throw queued.timeoutError }
        do {
            return try route(to: queued.remote)
        } catch {
            let bound = queued.keyStaysBound ? "; the key stays bound on cluster \(queued.remote)" : ""
            throw APIError(
                error.status,
                "cluster \(queued.remote) was unlinked while the transfer waited for its turn; nothing was sent\(bound)"
            )
        }
    }

    /// Releases the local pin, records and answers.
    private func complete(
        _ kind: TransferMetrics.Kind,
        _ cache: CacheInfo,
        _ route: Route,
        started: ContinuousClock.Instant,
        _ result: Result<Int, APIError>,
        _ completion: @escaping @Sendable (Result<JSONValue, APIError>) -> Void
    ) {
        core.state.withLock { s in
            _ = s.caches.unpin(cache.id)
            s.activeTransfers -= 1
        }
        completion(finish(kind, result, route: route, started: started))
    }

    private func preparePull(
        _ cacheID: Int64,
        _ op: TransferOperation,
        _ selector: TransferSelector
    ) throws(APIError)
        -> (CacheInfo, Route)
    {
        let gate: CacheRoleGate
        if case .pullBlocks = op { gate = .pullBlocks } else { gate = .pullCache }
        try CacheRoleGate.check(gate, role: core.state.withLock { $0.role.gateRole })
        if selector.clusterID == core.config.clusterID {
            throw .paramInvalid("cannot pull from this node's own cluster id \(selector.clusterID)")
        }
        let dst = try core.state.withLock { s throws(APIError) in try s.caches.localCache(cacheID) }
        switch op {
        case .pullCache(let o): try TransferPlanner.checkPullCacheDestination(dst.geometry, o)
        case .pullBlocks(let o): try TransferPlanner.checkPullBlocksDestination(dst.geometry, o)
        case .pushCache, .pushBlocks: throw .paramInvalid("not a pull")
        }
        let route = try route(to: selector.clusterID)
        try core.state.withLock { s throws(APIError) in
            try s.admit("transfers")
            try s.caches.pin(dst.id)
            s.activeTransfers += 1
        }
        return (dst, route)
    }

    private func runPull(
        _ dst: CacheInfo,
        _ op: TransferOperation,
        _ selector: TransferSelector,
        _ route: Route,
        _ budget: Budget,
        control: TransferControl?
    ) throws(APIError) -> Int {
        let received: (verified: Int, transferID: String?)
        do throws(APIError) {
            received = try receivePull(dst, op, selector, route, budget, control: control)
        } catch  where control?.isCancelled == true {
            throw TransferControl.cancelledError
        } catch {
            // CONTRACT §6: a failed pull leaves the prompt's key bound, and says so.
            guard case .key(let key) = selector, !key.identity.isPrefix, case .pullCache = op,
                error.status != .LLM_KV_CACHE_NOT_EXIST, error.status != .KV_LEASE_EXPIRED
            else { throw error }
            throw APIError(
                error.status,
                "\(error.message); the key stays bound on cluster \(route.remote) and can be pulled again"
            )
        }
        // Verified: now (and only now) the owner may consume the key — unless the pull was cancelled meanwhile.
        if control?.isCancelled == true { throw TransferControl.cancelledError }
        if let transferID = received.transferID {
            try acknowledge(transferID, route: route, deadline: budget.deadline)
        }
        return received.verified
    }

    /// Sends the ack that consumes the key. The owner answers a repeated ack with success, so an ack whose answer
    /// was lost (connection closed, garbled, late) is retried until the pull's deadline; only when the outcome stays
    /// unknown does the pull fail, saying the key may have been consumed. A refusal is final.
    private func acknowledge(_ transferID: String, route: Route, deadline: ContinuousClock.Instant) throws(APIError) {
        var attempt = 0
        while true {
            attempt += 1
            // Each try gets half of what is left, so an answer held up on its connection leaves time for a retry on
            // a fresh one that learns the outcome; at least 1 s for the first try (the bytes are verified, the key
            // must not be lost to a tight bound), at least 100 ms for the others, never past the deadline.
            let remaining = Int((deadline - ContinuousClock.now).milliseconds)
            let bound = attempt == 1 ? max(1000, remaining / 2) : max(1, min(remaining, max(100, remaining / 2)))
            do throws(PeerCalls.Failure) {
                _ = try core.peerCalls.post(
                    route.address,
                    "/v1/peer/pull/ack",
                    ["transfer_id": .string(transferID)],
                    timeoutMs: bound,
                    link: route.credential
                )
                return
            } catch {
                if case .refused(let e, let status) = error {
                    throw Self.ackError(.refused(e, httpStatus: status), route: route)
                }
                if ContinuousClock.now + .milliseconds(20) < deadline {
                    usleep(UInt32(min(100, 10 * attempt)) * 1000)  // a short pause between tries, inside the bound
                    continue
                }
                let e = Self.ackError(error, route: route)
                throw APIError(
                    e.status,
                    "\(e.message); after \(attempt) tries the outcome is unknown: the key may have been consumed"
                )
            }
        }
    }

    /// The pull up to verified receipt: the request, the preamble, the frames scattered into `dst` — on one
    /// connection, or striped: the preamble names the streams and each later one runs on its own thread.
    private func receivePull(
        _ dst: CacheInfo,
        _ op: TransferOperation,
        _ selector: TransferSelector,
        _ route: Route,
        _ budget: Budget,
        control: TransferControl?
    ) throws(APIError) -> (verified: Int, transferID: String?) {
        let remainingMs = budget.remainingMs
        let memory = core.memory
        let devices = memory.deviceCount
        let offer = StripeOffer.of(
            streamsPerTransfer: core.config.streamsPerTransfer,
            stripeBytes: core.config.stripeBytes
        )
        let request = PullRequest(
            operation: op,
            selector: selector,
            dstGeometry: dst.geometry,
            deviceCount: devices,
            timeoutMs: remainingMs,
            striping: offer
        )
        let streams = StripeStreams(parent: control?.cancellation)
        var receiver = PullReceiver(owner: route.remote) { preamble throws(APIError) in
            let payload = preamble.payloadBytes
            // Plan with the same function the owner used, from this node's own geometry: the destination
            // ranges never come from the wire.
            let plan = try op.plan(destination: dst.geometry, source: preamble.srcGeometry, slot: preamble.srcSlot)
            control?.setTotal(payload)
            if preamble.progressive { control?.markProgressive() }
            guard payload == plan.totalBytes * devices else {
                throw APIError(
                    .LLM_FAILED,
                    "cluster \(route.remote) announced \(payload) bytes, the plan has \(plan.totalBytes * devices)"
                )
            }
            // The shares follow from the payload, the frame size and the stream count (at most what we offered).
            let stripes = try TransferStripes(
                payloadBytes: payload,
                frameSize: preamble.frameSize,
                count: preamble.streams,
                maxCount: offer?.maxStreams ?? 1
            )
            let destination = StreamMemory(writable: memory.regions(dst, plan.destination))
            if stripes.count > 1 {
                guard let streamID = preamble.streamID else {
                    throw APIError(
                        .LLM_FAILED,
                        "cluster \(route.remote) announced \(stripes.count) streams without an id"
                    )
                }
                for index in 1..<stripes.count {
                    let share = StreamMemory(writable: StripeRegions.slice(destination.writable, stripes.shares[index]))
                    let length = stripes.shares[index].count
                    streams.start {
                        self.receiveStream(
                            PullStreamRequest(streamID: streamID, index: index),
                            into: share,
                            payloadBytes: length,
                            frameSize: preamble.frameSize,
                            route: route,
                            budget: budget,
                            streams: streams,
                            control: control
                        )
                    }
                }
            }
            do {
                return try FrameDecoder(
                    destinations: StripeRegions.slice(destination.writable, stripes.shares[0]),
                    payloadLength: stripes.shares[0].count,
                    frameSize: preamble.frameSize
                )
            } catch {
                throw APIError(.LLM_FAILED, "cannot receive the transfer: \(error)")
            }
        }
        let calls = core.peerCalls
        var peerRequest = PeerRequest(
            method: "POST",
            url: "http://\(route.address)/v1/peer/pull",
            headers: [PeerHeader(name: "Content-Type", value: "application/json")]
                + calls.headers(link: route.credential),
            body: .bytes(request.json.serializedBytes),
            connectTimeoutMs: remainingMs,
            totalTimeoutMs: remainingMs
        )
        peerRequest.cancellation = streams.cancellation
        var firstStream: Result<Int, APIError>
        do {
            _ = try core.peers.perform(
                peerRequest,
                expectedLength: nil,
                onHead: { receiver.announce(contentLength: $0) },
                sink: { chunk in
                    let ok = receiver.consume(chunk)
                    control?.add(chunk.count)
                    return ok
                }
            )
            do throws(APIError) {
                firstStream = .success(try receiver.finish())
            } catch {
                // libcurl completed the exchange but the payload failed verification: the owner may still be
                // writing on that connection, so it must not carry the next pull.
                core.peers.discardConnections(peer: route.address)
                firstStream = .failure(error)
            }
        } catch {
            if error.kind == .aborted, let e = receiver.error {
                firstStream = .failure(e)
            } else {
                firstStream = .failure(Self.transferError(error, route: route, timeoutMs: budget.boundMs))
            }
        }
        if case .failure(let e) = firstStream { streams.fail(e) }
        // Done only when every stream is verified; a failing one has cancelled the others and is what we report.
        let verified: Int
        switch (firstStream, streams.wait()) {
        case (_, .failure(let e)), (.failure(let e), _):
            if let id = receiver.preamble?.streamID { releaseStreams(id, route: route) }
            throw e
        case (.success(let first), .success(let rest)): verified = first + rest
        }
        // libcurl checks its timer only now and then: a fast transfer can finish past a tiny bound. The
        // bound is the contract, so enforce it here, before anything is acknowledged.
        if ContinuousClock.now > budget.deadline {
            throw APIError(
                .LLM_TIMEOUT,
                "the pull from cluster \(route.remote) took longer than its \(budget.boundMs) ms bound"
            )
        }
        return (verified, receiver.preamble?.transferID)
    }

    // MARK: push

    func push(
        from cacheID: Int64,
        _ op: TransferOperation,
        to selector: TransferSelector,
        timeoutMs: Int,
        control: TransferControl? = nil,
        completion: @escaping @Sendable (Result<JSONValue, APIError>) -> Void
    ) throws(APIError) {
        let prepared: (CacheInfo, Route)
        let src = try core.state.withLock { s throws(APIError) in try s.caches.localCache(cacheID) }
        switch op {
        case .pushCache(let o): try TransferPlanner.checkPushCacheSource(src.geometry, o)
        case .pushBlocks(let o): try TransferPlanner.checkPushBlocksSource(src.geometry, o)
        case .pullCache, .pullBlocks: throw APIError.paramInvalid("not a push")
        }
        if selector.clusterID == core.config.clusterID {
            throw APIError.paramInvalid("cannot push to this node's own cluster id \(selector.clusterID)")
        }
        let route = try route(to: selector.clusterID)
        try core.state.withLock { s throws(APIError) in
            try s.admit("transfers")
            try s.caches.pin(src.id)
            s.activeTransfers += 1
        }
        prepared = (src, route)
        run(.push, prepared, timeoutMs: timeoutMs, control: control, completion) {
            cache,
            route,
            budget throws(APIError) in
            try self.runPush(cache, op, selector, route, budget, control: control)
        }
    }

    private func runPush(
        _ src: CacheInfo,
        _ op: TransferOperation,
        _ selector: TransferSelector,
        _ route: Route,
        _ budget: Budget,
        control: TransferControl?
    ) throws(APIError) -> Int {
        let remainingMs = budget.remainingMs
        let devices = core.memory.deviceCount
        let calls = core.peerCalls
        let offer = StripeOffer.of(
            streamsPerTransfer: core.config.streamsPerTransfer,
            stripeBytes: core.config.stripeBytes
        )
        let prepareBody = PushPrepare(
            operation: op,
            selector: selector,
            srcGeometry: src.geometry,
            deviceCount: devices,
            timeoutMs: remainingMs,
            striping: offer
        ).json
        let answer: JSONValue
        do throws(PeerCalls.Failure) {
            answer = try calls.post(
                route.address,
                "/v1/peer/push/prepare",
                prepareBody,
                timeoutMs: remainingMs,
                link: route.credential
            )
        } catch {
            throw Self.callError(error, route: route)
        }
        guard let pushPlan = try? PushPlan.decode(answer) else {
            throw APIError(.LLM_FAILED, "cluster \(route.remote) answered the push with a malformed plan")
        }
        let (transferID, dstGeometry, slot, payload, frameSize) = (
            pushPlan.transferID, pushPlan.dstGeometry, pushPlan.dstSlot, pushPlan.payloadBytes, pushPlan.frameSize
        )
        let plan = try op.plan(destination: dstGeometry, source: src.geometry, slot: slot)
        guard Int(payload) == plan.totalBytes * devices else {
            throw APIError(
                .LLM_FAILED,
                "cluster \(route.remote) expects \(payload) bytes, the plan has \(plan.totalBytes * devices)"
            )
        }
        let stripes = try TransferStripes(
            payloadBytes: payload,
            frameSize: frameSize,
            count: pushPlan.streams,
            maxCount: offer?.maxStreams ?? 1
        )
        if stripes.count > 1 {
            return try pushStriped(
                src,
                plan.source,
                stripes,
                transferID: transferID,
                frameSize: frameSize,
                route: route,
                budget: budget,
                control: control
            )
        }
        let regions = core.memory.regions(src, plan.source).map { UnsafeRawBufferPointer($0) }
        let encoder: FrameEncoder
        do {
            encoder = try FrameEncoder(regions: regions, frameSize: Int(frameSize))
        } catch {
            throw APIError(.LLM_FAILED, "cannot frame the push: \(error)")
        }
        let remaining = budget.remainingMs
        let stream = PeerUploadStream(
            length: encoder.contentLength,
            rewind: {
                encoder.rewind()
                return true
            },
            read: { encoder.read(into: $0) }
        )
        control?.setTotal(encoder.payloadLength)
        var request = PeerRequest(
            method: "POST",
            url: "http://\(route.address)/v1/peer/push/\(transferID)",
            headers: [PeerHeader(name: "Content-Type", value: "application/octet-stream")]
                + calls.headers(link: route.credential),
            body: .stream(stream),
            connectTimeoutMs: remaining,
            totalTimeoutMs: remaining
        )
        request.cancellation = control?.cancellation
        do {
            _ = try core.peers.perform(request)
        } catch {
            if control?.isCancelled == true { throw TransferControl.cancelledError }
            throw Self.transferError(error, route: route, timeoutMs: budget.boundMs)
        }
        control?.add(encoder.payloadLength)
        if ContinuousClock.now > budget.deadline {
            throw APIError(
                .LLM_TIMEOUT,
                "the push to cluster \(route.remote) took longer than its \(budget.boundMs) ms bound"
            )
        }
        return encoder.payloadLength
    }

    /// A push the receiver split into `stripes`: one data request per share, each on its own thread; done when
    /// every share was verified by the receiver, failed (and the others cancelled) when one was not.
    private func pushStriped(
        _ src: CacheInfo,
        _ side: TransferSide,
        _ stripes: TransferStripes,
        transferID: String,
        frameSize: Int,
        route: Route,
        budget: Budget,
        control: TransferControl?
    ) throws(APIError) -> Int {
        control?.setTotal(stripes.payloadBytes)
        let source = core.memory.regions(src, side)
        let streams = StripeStreams(parent: control?.cancellation)
        for (index, share) in stripes.shares.enumerated() {
            let memory = StreamMemory(writable: StripeRegions.slice(source, share))
            streams.start {
                self.sendStream(
                    transferID: transferID,
                    index: index,
                    from: memory,
                    frameSize: frameSize,
                    route: route,
                    budget: budget,
                    streams: streams,
                    control: control
                )
            }
        }
        switch streams.wait() {
        case .failure where control?.isCancelled == true:
            throw TransferControl.cancelledError
        case .failure(let e):
            throw e
        case .success(let bytes):
            if ContinuousClock.now > budget.deadline {
                throw APIError(
                    .LLM_TIMEOUT,
                    "the push to cluster \(route.remote) took longer than its \(budget.boundMs) ms bound"
                )
            }
            return bytes
        }
    }

    // MARK: shared

    private func finish(
        _ kind: TransferMetrics.Kind,
        _ result: Result<Int, APIError>,
        route: Route,
        started: ContinuousClock.Instant
    ) -> Result<JSONValue, APIError> {
        let elapsed = ContinuousClock.now - started
        switch result {
        case .failure(let e):
            core.emit(
                "transfer_failed",
                [
                    (key: "op", value: .string(kind.rawValue)), (key: "remote_cluster_id", value: route.remote.json),
                    (key: "status", value: .string(e.status.rawValue)), (key: "message", value: .string(e.message)),
                ]
            )
            core.transferMetrics.recordFailure(kind)
            core.logger.warning(
                "\(kind.rawValue) failed",
                metadata: ["remote_cluster_id": "\(route.remote)", "error": "\(e)"]
            )
            return .failure(e)
        case .success(let bytes):
            core.emit(
                "transfer_done",
                [
                    (key: "op", value: .string(kind.rawValue)), (key: "remote_cluster_id", value: route.remote.json),
                    (key: "bytes", value: JSONValue(Int64(bytes))),
                ]
            )
            core.transferMetrics.record(kind, bytes: bytes, seconds: elapsed.seconds)
            core.state.withLock { s in
                if kind == .pull {
                    s.links.count(route.remote, pulled: UInt64(bytes))
                } else {
                    s.links.count(route.remote, pushed: UInt64(bytes))
                }
            }
            return .success([
                "status": "LLM_SUCCESS", "code": 0, "bytes": JSONValue(Int64(bytes)),
                "duration_ms": .double((elapsed.seconds * 1000 * 1000).rounded() / 1000),
            ])
        }
    }

    /// A data request that failed: the peer's own error when it sent one, else what broke (a transfer that broke off
    /// says how, in the client's own words).
    /// A timeout names the transfer's bound (`timeout_ms`): the exchange may have been under way, not silent.
    static func transferError(_ error: PeerError, route: Route, timeoutMs: Int) -> APIError {
        var failure = PeerCalls.classify(error, address: route.address, timeoutMs: timeoutMs)
        switch failure {
        case .notDataDist: failure = .notDataDist(error.message)
        case .timeout:
            failure = .timeout(
                "the data exchange with \(route.address) did not finish within the transfer's \(timeoutMs) ms bound"
            )
        default: break
        }
        return failure.apiError(.transfer, remote: route.remote)
    }

    private static func callError(_ failure: PeerCalls.Failure, route: Route) -> APIError {
        failure.apiError(.transfer, remote: route.remote)
    }

    /// The acknowledgement failed: the bytes arrived, but the owner did not consume the key for us.
    private static func ackError(_ failure: PeerCalls.Failure, route: Route) -> APIError {
        let e = callError(failure, route: route)
        return APIError(
            e.status,
            "the data arrived and was verified, but cluster \(route.remote) did not confirm the pull: \(e.message)"
        )
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
