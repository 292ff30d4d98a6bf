import DataDistModel
import HTTPCore
import KVFraming
import Synchronization

/// The owner side of KV transfers on the peer protocol (docs/peer-protocol.md): serving pulls, consuming
/// keys on acknowledgement, accepting pushes. Served on the peer listener and, for peers that reach this
/// node through its callback address, on the admin port. Every call names its link (`X-Datadist-Link`).
struct PeerTransferService: Sendable {
    let core: NodeCore

    var routes: [Route] {
        [
            Route("POST", "/v1/peer/pull", needsAuth: false, servePull),
            Route("POST", "/v1/peer/pull/stream", needsAuth: false, serveStream),
            Route("POST", "/v1/peer/pull/stream/release", needsAuth: false) { ctx throws(APIError) in
                .json(200, try releaseStreams(ctx))
            },
            Route("POST", "/v1/peer/pull/ack", needsAuth: false) { ctx throws(APIError) in
                .json(200, try acknowledge(ctx))
            },
            Route("POST", "/v1/peer/push/prepare", needsAuth: false) { ctx throws(APIError) in
                .json(200, try preparePush(ctx))
            },
            Route(
                "POST",
                "/v1/peer/push/{transfer_id}",
                needsAuth: false,
                streamed: StreamedBody(
                    limit: { Int.max / 2 },
                    check: { head, params throws(APIError) in try checkPushData(head, params) },
                    sink: { head, params in pushSink(head, params) }
                ),
                finishPush
            ),
            // Share `index` of a striped push (docs/peer-protocol.md "Striped transfers").
            Route(
                "POST",
                "/v1/peer/push/{transfer_id}/{index}",
                needsAuth: false,
                streamed: StreamedBody(
                    limit: { Int.max / 2 },
                    check: { head, params throws(APIError) in try checkPushData(head, params) },
                    sink: { head, params in pushSink(head, params) }
                ),
                finishPush
            ),
        ]
    }

    /// The requester and its link, from `X-Datadist-Link` (409 LLM_NOT_YET_LINK when it holds none).
    private func authorize(_ headers: HTTPHeaders) throws(APIError) -> UInt64 {
        guard let (id, secret) = LinkCredential.parse(headers[LinkCredential.header]) else {
            throw APIError(.LLM_NOT_YET_LINK, "the request names no link (\(LinkCredential.header) header)")
        }
        let ok = core.state.withLock { s in
            s.links[id].map { BearerToken.constantTimeEquals(Array($0.secret.utf8), Array(secret.utf8)) } ?? false
        }
        guard ok else { throw APIError(.LLM_NOT_YET_LINK, "cluster \(id) holds no link with this node") }
        return id
    }

    private func sweep() { core.expireTransfers() }

    /// Ends a prepared push that will not get (all) its data: drops it and releases its pin, at once when no
    /// share is being received, else when the last one receiving ends.
    private func dropPush(_ id: String) {
        core.state.withLock { s in
            if let cacheID = s.transfers.abandonPush(id) { _ = s.caches.unpin(cacheID) }
        }
    }

    /// The share a push data request carries: `{index}` of a striped push, else the only one.
    private static func shareIndex(_ params: [String: String]) -> Int? {
        guard let text = params["index"] else { return 0 }
        return Int(text)
    }

    // MARK: pull

    private func servePull(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        let requester = try authorize(ctx.request.headers)
        sweep()
        let request = try PullRequest.decode(try ctx.request.jsonBody(), defaultTimeoutMs: core.config.syncKVTimeoutMs)
        let (op, selector, dstGeometry, timeoutMs) = (
            request.operation, request.selector, request.dstGeometry, request.timeoutMs
        )
        guard request.deviceCount == core.memory.deviceCount else {
            throw .paramInvalid(
                "the puller serves \(request.deviceCount) devices, this node \(core.memory.deviceCount)"
            )
        }
        let transferID = BootID.make()
        let now = core.clock.nowMs
        let devices = core.memory.deviceCount
        let (source, slot, plan, consumes, progressive, stripes) = try core.state.withLock { s throws(APIError) in
            try s.admit("transfers")
            let (source, slot, key): (CacheInfo, Int, KeyIdentity?)
            switch selector {
            case .key(let k):
                try Self.checkLease(s, .key(k.identity), nowMs: now)
                let r = try s.caches.lookup(k.identity)
                (source, slot, key) = (r.cache, r.slot, k.identity)
            case .byID(let k):
                let r = try s.caches.lookup(cacheID: k.cacheID, batchIndex: k.batchIndex)
                (source, slot, key) = (r.cache, r.slot, nil)
            case .blocks(let k):
                try Self.checkLease(s, .blocks(modelID: k.modelID), nowMs: now)
                (source, slot, key) = (try s.caches.lookupBlocks(modelID: k.modelID), 0, nil)
            }
            let plan = try op.plan(destination: dstGeometry, source: source.geometry, slot: slot)
            let progressive = s.caches.readyTensors(source.id, slot: slot) != nil
            // A progressive source goes out on one stream: its frames follow the readiness watermark in order.
            let stripes = StripeOffer.stripes(
                progressive ? nil : request.striping,
                payloadBytes: plan.totalBytes * devices,
                frameSize: FrameFormat.defaultFrameSize
            )
            // One pin per stream: stream 0 releases its own, the entry below hands the others to their streams.
            for _ in 0..<stripes.count { try s.caches.pin(source.id) }
            if stripes.count > 1 {
                s.transfers.addStripedPull(
                    transferID,
                    .init(
                        requester: requester,
                        cache: source,
                        side: plan.source,
                        stripes: stripes,
                        frameSize: FrameFormat.defaultFrameSize,
                        // The later streams are asked for as soon as the preamble arrives.
                        expiresAtMs: now + Int64(timeoutMs) + 1000
                    )
                )
            }
            // Only a pull_cache by request key consumes (CONTRACT §6), once the puller confirms receipt.
            var consumes = false
            if case .pullCache = op, let key, !key.isPrefix {
                consumes = true
                s.transfers.addPull(
                    transferID,
                    .init(
                        requester: requester,
                        identity: key,
                        cacheID: source.id,
                        slot: slot,
                        tensors: plan.source.tensors,
                        expiresAtMs: now + Int64(timeoutMs) + 60_000
                    )
                )
            }
            return (source, slot, plan, consumes, progressive, stripes)
        }
        let regions = core.memory.regions(source, plan.source).map { UnsafeRawBufferPointer($0) }
        let encoder: FrameEncoder
        do {
            encoder = try FrameEncoder(regions: StripeRegions.slice(regions, stripes.shares[0]))
        } catch {
            unpin(source.id)
            core.state.withLock { s in
                for id in s.transfers.dropStripedPull(transferID) { _ = s.caches.unpin(id) }
            }
            throw APIError(.LLM_FAILED, "cannot frame the transfer: \(error)")
        }
        let preamble = PullPreamble(
            srcGeometry: source.geometry,
            srcSlot: slot,
            transferID: consumes ? transferID : nil,
            payloadBytes: stripes.payloadBytes,
            frameSize: encoder.frameSize,
            progressive: progressive,
            streams: stripes.count,
            streamID: stripes.count > 1 ? transferID : nil
        )
        let metrics = core.transferMetrics
        let started = ContinuousClock.now
        let payload = encoder.payloadLength
        var gate: FramedResponseProducer.Progressive?
        if progressive {
            let (core, id) = (core, source.id)
            gate = .init(
                gate: ReadinessGate(
                    cacheID: id,
                    slot: slot,
                    tensors: plan.source.tensors,
                    bytesPerTensor: plan.source.bytesPerTensor,
                    payloadBytes: encoder.payloadLength,
                    deadlineMs: core.clock.nowMs + Int64(timeoutMs)
                ),
                readyTensors: { core.state.withLock { $0.caches.readyTensors(id, slot: slot) } },
                clock: core.clock
            )
        }
        let sources = core.progressiveSources
        let producerBox = Mutex<FramedResponseProducer?>(nil)
        let producer = FramedResponseProducer(preamble: preamble.json, encoder: encoder, progressive: gate) {
            completed in
            if let p = producerBox.withLock({ $0.take() }) { sources.remove(p, cacheID: source.id) }
            unpin(source.id)
            if !completed, stripes.count > 1 { dropStripes(transferID) }
            if completed {
                metrics.record(.served, bytes: payload, seconds: (ContinuousClock.now - started).seconds)
                core.state.withLock { $0.links.count(requester, pushed: UInt64(payload)) }
            }
        }
        if progressive {
            producerBox.withLock { $0 = producer }
            sources.add(producer, cacheID: source.id)
        }
        var response = HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"])
        response.producer = producer
        return response
    }

    private func unpin(_ id: Int64) { core.state.withLock { _ = $0.caches.unpin(id) } }

    /// `POST /v1/peer/pull/stream/release`: the puller failed a striped pull and will ask for no more streams.
    private func releaseStreams(_ ctx: RouteContext) throws(APIError) -> JSONValue {
        let requester = try authorize(ctx.request.headers)
        let f = try RequestFields(try ctx.request.jsonBody(), known: ["stream_id"])
        guard let id = f["stream_id"]?.stringValue else { throw .paramInvalid("stream_id is required") }
        core.state.withLock { s in
            guard s.transfers.stripedPulls[id]?.requester == requester else { return }
            for cacheID in s.transfers.dropStripedPull(id) { _ = s.caches.unpin(cacheID) }
        }
        return ["status": "LLM_SUCCESS", "code": 0]
    }

    /// A stream of a striped pull broke off: the puller fails the whole pull and asks for no more streams, so the
    /// pins held for them are released now rather than at expiry.
    private func dropStripes(_ streamID: String) {
        core.state.withLock { s in
            for id in s.transfers.dropStripedPull(streamID) { _ = s.caches.unpin(id) }
        }
    }

    /// `POST /v1/peer/pull/stream`: one later stream of a striped pull — the frames of its share, no preamble,
    /// from the plan and a pin taken by the pull's first request (no second resolution).
    private func serveStream(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        let requester = try authorize(ctx.request.headers)
        let request = try PullStreamRequest.decode(try ctx.request.jsonBody())
        guard
            let pull = core.state.withLock({
                $0.transfers.takeStream(request.streamID, index: request.index, requester: requester)
            })
        else {
            throw APIError(
                .LLM_KV_CACHE_NOT_EXIST,
                "no stream \(request.index) of pull \(request.streamID) awaits (expired, unknown or already sent)"
            )
        }
        let share = pull.stripes.shares[request.index]
        let regions = core.memory.regions(pull.cache, pull.side).map { UnsafeRawBufferPointer($0) }
        let encoder: FrameEncoder
        do {
            encoder = try FrameEncoder(regions: StripeRegions.slice(regions, share), frameSize: pull.frameSize)
        } catch {
            unpin(pull.cache.id)
            throw APIError(.LLM_FAILED, "cannot frame the transfer: \(error)")
        }
        let (core, metrics, started, id) = (core, core.transferMetrics, ContinuousClock.now, pull.cache.id)
        let streamID = request.streamID
        let producer = FramedResponseProducer(preamble: nil, encoder: encoder) { completed in
            core.state.withLock { _ = $0.caches.unpin(id) }
            if !completed { dropStripes(streamID) }
            if completed {
                metrics.record(.served, bytes: share.count, seconds: (ContinuousClock.now - started).seconds)
                core.state.withLock { $0.links.count(requester, pushed: UInt64(share.count)) }
            }
        }
        var response = HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"])
        response.producer = producer
        return response
    }

    /// `POST /v1/peer/pull/ack`: the puller verified every byte; consume the key now.
    /// How long an acknowledged pull is remembered for repeats (longer than any retry within a pull's timeout).
    static let ackMemoryMs: Int64 = 120_000

    private func acknowledge(_ ctx: RouteContext) throws(APIError) -> JSONValue {
        let requester = try authorize(ctx.request.headers)
        let f = try RequestFields(try ctx.request.jsonBody(), known: ["transfer_id"])
        guard let id = f["transfer_id"]?.stringValue else { throw .paramInvalid("transfer_id is required") }
        let ackedAt = core.clock.nowMs
        let pending = try core.state.withLock { s throws(APIError) -> TransferTables.PendingPull? in
            // A repeat of an ack that already consumed the key (its answer was lost): the same success again.
            if s.transfers.wasAcknowledged(id, by: requester) { return nil }
            guard let pending = s.transfers.takePull(id), pending.requester == requester else {
                throw APIError(.LLM_KV_CACHE_NOT_EXIST, "no pull \(id) awaits acknowledgement (expired or unknown)")
            }
            // Another puller may have consumed the key first, or it was removed and bound elsewhere meanwhile:
            // then this pull does not count.
            guard let now = try? s.caches.lookup(pending.identity), now.cache.id == pending.cacheID,
                now.slot == pending.slot
            else {
                throw APIError(.LLM_KV_CACHE_NOT_EXIST, "\(pending.identity) was consumed or re-bound during the pull")
            }
            if s.caches.consume(pending.identity, tensors: pending.tensors) { s.leases.release(.key(pending.identity)) }
            s.transfers.rememberAck(id, requester: requester, untilMs: ackedAt + Self.ackMemoryMs)
            return pending
        }
        guard let pending else { return ["status": "LLM_SUCCESS", "code": 0] }
        core.emit(
            "key_consumed",
            [
                (key: "key", value: .string("\(pending.identity)")),
                (key: "cache_id", value: JSONValue(pending.cacheID)),
                (key: "requester", value: pending.requester.json),
            ]
        )
        return ["status": "LLM_SUCCESS", "code": 0]
    }

    // MARK: push

    private func preparePush(_ ctx: RouteContext) throws(APIError) -> JSONValue {
        let requester = try authorize(ctx.request.headers)
        sweep()
        let request = try PushPrepare.decode(
            try ctx.request.jsonBody(),
            defaultTimeoutMs: core.config.syncKVTimeoutMs
        )
        let (op, selector, srcGeometry, timeoutMs) = (
            request.operation, request.selector, request.srcGeometry, request.timeoutMs
        )
        guard request.deviceCount == core.memory.deviceCount else {
            throw .paramInvalid(
                "the pusher serves \(request.deviceCount) devices, this node \(core.memory.deviceCount)"
            )
        }
        let transferID = BootID.make()
        let now = core.clock.nowMs
        let devices = core.memory.deviceCount
        let (destination, slot, plan, stripes) = try core.state.withLock { s throws(APIError) in
            try s.admit("transfers")
            let (destination, slot): (CacheInfo, Int)
            switch selector {
            case .byID(let k):
                let r = try s.caches.lookup(cacheID: k.cacheID, batchIndex: k.batchIndex)
                (destination, slot) = (r.cache, r.slot)
            case .blocks(let k):
                (destination, slot) = (try s.caches.lookupBlocks(modelID: k.modelID), 0)
            case .key:
                throw APIError.paramInvalid("a push names its destination by cache_key_by_id or blocks_cache_key")
            }
            let plan = try op.plan(destination: destination.geometry, source: srcGeometry, slot: slot)
            let stripes = StripeOffer.stripes(
                request.striping,
                payloadBytes: plan.totalBytes * devices,
                frameSize: FrameFormat.defaultFrameSize
            )
            try s.caches.pin(destination.id)
            s.transfers.addPush(
                transferID,
                .init(
                    requester: requester,
                    cacheID: destination.id,
                    destination: plan.destination,
                    payloadBytes: plan.totalBytes * devices,
                    expiresAtMs: now + Int64(timeoutMs) + 1000,  // the data requests follow at once
                    stripes: stripes
                )
            )
            return (destination, slot, plan, stripes)
        }
        return PushPlan(
            transferID: transferID,
            dstGeometry: destination.geometry,
            dstSlot: slot,
            payloadBytes: plan.totalBytes * devices,
            frameSize: FrameFormat.defaultFrameSize,
            streams: stripes.count
        ).json
    }

    private func checkPushData(_ head: HTTPRequestHead, _ params: [String: String]) throws(APIError) {
        let requester = try authorize(head.headers)
        guard let pending = core.state.withLock({ $0.transfers.push(params["transfer_id"] ?? "") }),
            pending.requester == requester
        else {
            throw APIError(
                .LLM_KV_CACHE_NOT_EXIST,
                "no push \(params["transfer_id"] ?? "") is prepared (expired or unknown)"
            )
        }
        guard let index = Self.shareIndex(params), pending.stripes.shares.indices.contains(index) else {
            throw APIError(.LLM_KV_CACHE_NOT_EXIST, "push \(params["transfer_id"] ?? "") has no such share")
        }
        let expected = FrameFormat.encodedLength(
            payload: pending.stripes.shares[index].count,
            frameSize: FrameFormat.defaultFrameSize
        )
        guard case .contentLength(let length) = head.framing, length == expected else {
            dropPush(params["transfer_id"] ?? "")
            throw .paramInvalid("pushed data must be exactly \(expected) bytes (Content-Length)")
        }
    }

    private func pushSink(_ head: HTTPRequestHead, _ params: [String: String]) -> (any HTTPBodySink)? {
        let id = params["transfer_id"] ?? ""
        guard let index = Self.shareIndex(params),
            let (pending, cache) = core.state.withLock({ s in
                s.transfers.startReceiving(id, index: index).flatMap { p in
                    s.caches.pinnedCache(p.cacheID).map { (p, $0) }
                }
            })
        else { return nil }
        let share = pending.stripes.shares[index]
        let destinations = StripeRegions.slice(core.memory.regions(cache, pending.destination), share)
        let end: @Sendable (Bool) -> Void = { verified in
            core.state.withLock { s in
                if let cacheID = s.transfers.endReceiving(id, verified: verified) { _ = s.caches.unpin(cacheID) }
            }
        }
        guard let decoder = try? FrameDecoder(destinations: destinations, payloadLength: share.count) else {
            end(false)
            return nil
        }
        return FramedRequestSink(decoder: decoder, end: end)
    }

    private func finishPush(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        guard let sink = ctx.request.sink as? FramedRequestSink else {
            dropPush(ctx.param("transfer_id"))
            throw APIError(.LLM_KV_CACHE_NOT_EXIST, "the prepared push is gone (expired or its cache was freed)")
        }
        let bytes: Int
        do {
            bytes = try sink.finish()
        } catch {
            throw APIError(.LLM_FAILED, "pushed data rejected: \(error)")
        }
        if let requester = try? authorize(ctx.request.headers) {
            core.state.withLock { $0.links.count(requester, pulled: UInt64(bytes)) }
        }
        return .json(200, ["status": "LLM_SUCCESS", "code": 0, "bytes": JSONValue(Int64(bytes))])
    }
    /// A key whose lease ran out answers 410 KV_LEASE_EXPIRED (CONTRACT §11), never bytes.
    static func checkLease(_ s: NodeState, _ key: LeasedKey, nowMs: Int64) throws(APIError) {
        if s.leases.expired(key, nowMs: nowMs) {
            throw APIError(.KV_LEASE_EXPIRED, "\(key)'s lease expired before it was pulled")
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
