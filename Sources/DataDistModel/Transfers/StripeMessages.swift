/// The striping parts of the peer transfer messages (docs/peer-protocol.md "Striped transfers").

/// What a puller or pusher offers: at most `maxStreams` connections, a stream per started `stripeBytes`.
/// Sent only when K > 1, so a node with striping off sends exactly the pre-striping request.
public struct StripeOffer: Sendable, Hashable {
    public var maxStreams: Int
    public var stripeBytes: Int

    public init(maxStreams: Int, stripeBytes: Int) {
        self.maxStreams = maxStreams
        self.stripeBytes = stripeBytes
    }

    /// Most streams one transfer may use (a peer asking for more gets this many at most).
    public static let maxStreamsLimit = 64

    /// The offer a node with `--streams-per-transfer K` and `--stripe-bytes S` sends; nil for K = 1.
    public static func of(streamsPerTransfer k: Int, stripeBytes s: UInt64) -> StripeOffer? {
        k > 1 ? StripeOffer(maxStreams: min(k, maxStreamsLimit), stripeBytes: Int(min(s, UInt64(Int.max / 2)))) : nil
    }

    func add(to o: inout JSONObject) {
        o["streams"] = JSONValue(Int64(maxStreams))
        o["stripe_bytes"] = JSONValue(Int64(stripeBytes))
    }

    /// The offer in a request, nil when absent; `streams` above the limit is clamped, below 1 refused.
    static func decode(_ f: RequestFields) throws(APIError) -> StripeOffer? {
        guard f["streams"] != nil else { return nil }
        let k = try f.int("streams", default: 1)
        guard k >= 1 else { throw .paramInvalid("'streams' must be at least 1") }
        let s = try f.requiredInt64("stripe_bytes")
        guard s >= 1 else { throw .paramInvalid("'stripe_bytes' must be at least 1") }
        return StripeOffer(maxStreams: min(k, maxStreamsLimit), stripeBytes: Int(s))
    }

    /// How the payload travels under this offer (nil offer: one stream).
    public static func stripes(_ offer: StripeOffer?, payloadBytes: Int, frameSize: Int) -> TransferStripes {
        TransferStripes.plan(
            payloadBytes: payloadBytes,
            frameSize: frameSize,
            stripeBytes: offer?.stripeBytes ?? Int.max,
            maxStreams: offer?.maxStreams ?? 1
        )
    }
}

/// `POST /v1/peer/pull/stream`: stream `index` (1 ..< streams) of the striped pull `streamID`.
public struct PullStreamRequest: Sendable, Hashable {
    public var streamID: String
    public var index: Int

    public init(streamID: String, index: Int) {
        self.streamID = streamID
        self.index = index
    }

    public var json: JSONValue { ["stream_id": .string(streamID), "index": JSONValue(Int64(index))] }

    public static func decode(_ value: JSONValue) throws(APIError) -> PullStreamRequest {
        let f = try RequestFields(value, known: ["stream_id", "index"])
        guard let id = f["stream_id"]?.stringValue, !id.isEmpty else {
            throw .paramInvalid("stream_id is required")
        }
        guard f["index"] != nil else { throw .paramInvalid("index is required") }
        return PullStreamRequest(streamID: id, index: try f.int("index", default: 0))
    }
}
