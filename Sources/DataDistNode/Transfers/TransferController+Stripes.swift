import DataDistModel
import KVFraming
import PeerClient

/// The later streams of striped transfers on the initiating side (docs/peer-protocol.md "Striped transfers"):
/// each is one blocking exchange on its own thread, framed and verified exactly as a whole transfer is.
extension TransferController {
    /// Pull stream `request.index`: its frames, verified and scattered straight into `memory` (its share of the
    /// destination). The answer's Content-Length must be exactly the share's frames, checked before any byte.
    func receiveStream(
        _ request: PullStreamRequest,
        into memory: StreamMemory,
        payloadBytes: Int,
        frameSize: Int,
        route: Route,
        budget: Budget,
        streams: StripeStreams,
        control: TransferControl?
    ) -> Result<Int, APIError> {
        var decoder: FrameDecoder
        do {
            decoder = try FrameDecoder(destinations: memory.writable, payloadLength: payloadBytes, frameSize: frameSize)
        } catch {
            return .failure(APIError(.LLM_FAILED, "cannot receive stream \(request.index): \(error)"))
        }
        let remaining = budget.remainingMs
        var peerRequest = PeerRequest(
            method: "POST",
            url: "http://\(route.address)/v1/peer/pull/stream",
            headers: [PeerHeader(name: "Content-Type", value: "application/json")]
                + core.peerCalls.headers(link: route.credential),
            body: .bytes(request.json.serializedBytes),
            connectTimeoutMs: remaining,
            totalTimeoutMs: remaining
        )
        peerRequest.cancellation = streams.cancellation
        do {
            _ = try core.peers.perform(peerRequest, expectedLength: decoder.encodedLength) { chunk in
                guard decoder.consume(chunk) else { return false }
                control?.add(chunk.count)
                return true
            }
        } catch {
            if error.kind == .aborted, decoder.receivedBytes > 0 {
                do {
                    _ = try decoder.finish()
                } catch {
                    return .failure(APIError(.LLM_FAILED, "transfer rejected: stream \(request.index): \(error)"))
                }
            }
            let e = Self.transferError(error, route: route, timeoutMs: budget.boundMs)
            // The owner dropped the transfer's streams because another one broke off: the transfer failed, the
            // key was not found missing.
            if e.status == .LLM_KV_CACHE_NOT_EXIST {
                return .failure(APIError(.LLM_FAILED, "stream \(request.index) of the pull was refused: \(e.message)"))
            }
            return .failure(e)
        }
        do {
            return .success(try decoder.finish())
        } catch {
            // The exchange completed but did not verify: the connection must not carry another request.
            core.peers.discardConnections(peer: route.address)
            return .failure(APIError(.LLM_FAILED, "transfer rejected: stream \(request.index): \(error)"))
        }
    }

    /// Push share `index`: its frames, read straight from `memory` (its share of the source), as
    /// `POST /v1/peer/push/{id}/{index}`; the receiver answers once it verified them.
    func sendStream(
        transferID: String,
        index: Int,
        from memory: StreamMemory,
        frameSize: Int,
        route: Route,
        budget: Budget,
        streams: StripeStreams,
        control: TransferControl?
    ) -> Result<Int, APIError> {
        let encoder: FrameEncoder
        do {
            encoder = try FrameEncoder(regions: memory.readable, frameSize: frameSize)
        } catch {
            return .failure(APIError(.LLM_FAILED, "cannot frame the push: \(error)"))
        }
        let remaining = budget.remainingMs
        let upload = PeerUploadStream(
            length: encoder.contentLength,
            rewind: {
                encoder.rewind()
                return true
            },
            read: { encoder.read(into: $0) }
        )
        var request = PeerRequest(
            method: "POST",
            url: "http://\(route.address)/v1/peer/push/\(transferID)/\(index)",
            headers: [PeerHeader(name: "Content-Type", value: "application/octet-stream")]
                + core.peerCalls.headers(link: route.credential),
            body: .stream(upload),
            connectTimeoutMs: remaining,
            totalTimeoutMs: remaining
        )
        request.cancellation = streams.cancellation
        do {
            _ = try core.peers.perform(request)
        } catch {
            return .failure(Self.transferError(error, route: route, timeoutMs: budget.boundMs))
        }
        control?.add(encoder.payloadLength)
        return .success(encoder.payloadLength)
    }

    /// Tells the owner, best effort and off this thread, that a failed striped pull will ask for no more streams,
    /// so it releases their pins now instead of when the transfer's entry expires.
    func releaseStreams(_ streamID: String, route: Route) {
        let calls = core.peerCalls
        BlockingWorkers(name: "datadist-notice").async {
            _ = try? calls.post(
                route.address,
                "/v1/peer/pull/stream/release",
                ["stream_id": .string(streamID)],
                timeoutMs: 2000,
                link: route.credential
            )
        }
    }
}
