/// The JSON messages of peer-protocol transfers (docs/peer-protocol.md): built and read here only, so the node
/// never picks fields apart by string key. Field order is the wire's (the encodings are byte-stable).

/// `POST /v1/peer/pull`: a puller asks the owner for the bytes of a cache, planned for `dstGeometry`.
public struct PullRequest: Sendable {
    public var operation: TransferOperation
    public var selector: TransferSelector
    public var dstGeometry: CacheGeometry
    public var deviceCount: Int
    public var timeoutMs: Int
    /// The puller's striping limits; nil (K = 1) keeps the request as it was before striping.
    public var striping: StripeOffer?

    public init(
        operation: TransferOperation,
        selector: TransferSelector,
        dstGeometry: CacheGeometry,
        deviceCount: Int,
        timeoutMs: Int,
        striping: StripeOffer? = nil
    ) {
        self.operation = operation
        self.selector = selector
        self.dstGeometry = dstGeometry
        self.deviceCount = deviceCount
        self.timeoutMs = timeoutMs
        self.striping = striping
    }

    public static let fields: Set<String> = [
        "operation", "selector", "options", "dst_geometry", "device_count", "timeout_ms", "streams", "stripe_bytes",
    ]

    public var json: JSONValue {
        var o: JSONObject = [
            "operation": .string(operation.wireName), "selector": .object(selector.json),
            "options": .object(operation.optionsJSON), "dst_geometry": dstGeometry.json,
            "device_count": JSONValue(Int64(deviceCount)), "timeout_ms": JSONValue(Int64(timeoutMs)),
        ]
        striping?.add(to: &o)
        return .object(o)
    }

    /// The owner's reading: LLM_PARAM_INVALID / TYPE_ERROR / VALUE_ERROR for what it cannot serve;
    /// `timeout_ms` defaults to the owner's `--sync-kv-timeout-ms`.
    public static func decode(_ value: JSONValue, defaultTimeoutMs: Int) throws(APIError) -> PullRequest {
        let f = try RequestFields(value, known: fields)
        let operation = try TransferOperation.decode(wire: f)
        guard operation.isPull else { throw .paramInvalid("'\(operation.name)' is not a pull") }
        let selector = try TransferSelector.decode(wire: f["selector"])
        guard let g = f["dst_geometry"] else { throw .paramInvalid("dst_geometry is required") }
        return PullRequest(
            operation: operation,
            selector: selector,
            dstGeometry: try CacheGeometry.decode(g),
            deviceCount: try f.int("device_count", default: 1),
            timeoutMs: try f.timeoutMs(default: defaultTimeoutMs),
            striping: try StripeOffer.decode(f)
        )
    }
}

/// The length-prefixed JSON that opens a pull response, before the frames.
public struct PullPreamble: Sendable {
    public var srcGeometry: CacheGeometry
    public var srcSlot: Int
    /// Set when the pull consumes a key: the puller acknowledges it after verifying every byte.
    public var transferID: String?
    public var payloadBytes: Int
    public var frameSize: Int
    /// The source is progressive: frames follow as its layers become ready (an older owner omits it: false).
    public var progressive: Bool
    /// Streams the payload travels on (1: this response carries it all) and, when more, the id that names the
    /// striped transfer in `POST /v1/peer/pull/stream`. Absent from the JSON for a single stream.
    public var streams: Int
    public var streamID: String?

    public init(
        srcGeometry: CacheGeometry,
        srcSlot: Int,
        transferID: String?,
        payloadBytes: Int,
        frameSize: Int,
        progressive: Bool = false,
        streams: Int = 1,
        streamID: String? = nil
    ) {
        self.srcGeometry = srcGeometry
        self.srcSlot = srcSlot
        self.transferID = transferID
        self.payloadBytes = payloadBytes
        self.frameSize = frameSize
        self.progressive = progressive
        self.streams = streams
        self.streamID = streamID
    }

    public var json: JSONValue {
        var o: JSONObject = [
            "src_geometry": srcGeometry.json, "src_slot": JSONValue(Int64(srcSlot)),
            "transfer_id": transferID.map { .string($0) } ?? .null,
            "payload_bytes": JSONValue(Int64(payloadBytes)), "frame_size": JSONValue(Int64(frameSize)),
            "progressive": .bool(progressive),
        ]
        if streams > 1, let streamID {
            o["streams"] = JSONValue(Int64(streams))
            o["stream_id"] = .string(streamID)
        }
        return .object(o)
    }

    /// The puller's reading of what an owner sent: LLM_FAILED when it is not a preamble.
    public static func decode(_ value: JSONValue) throws(APIError) -> PullPreamble {
        guard case .object(let o) = value else { throw malformed("not a JSON object") }
        guard let g = o["src_geometry"], let geometry = try? CacheGeometry.decode(g) else {
            throw malformed("src_geometry is missing or invalid")
        }
        return PullPreamble(
            srcGeometry: geometry,
            srcSlot: try count(o, "src_slot"),
            transferID: o["transfer_id"]?.stringValue,
            payloadBytes: try count(o, "payload_bytes"),
            frameSize: try frameSizeField(o),
            progressive: o["progressive"] == .bool(true),
            streams: o["streams"] == nil ? 1 : try count(o, "streams"),
            streamID: o["stream_id"]?.stringValue
        )
    }
}

/// `POST /v1/peer/push/prepare`: a pusher asks the destination's owner to plan and reserve a push.
public struct PushPrepare: Sendable {
    public var operation: TransferOperation
    public var selector: TransferSelector
    public var srcGeometry: CacheGeometry
    public var deviceCount: Int
    public var timeoutMs: Int
    /// The pusher's striping limits; nil (K = 1) keeps the request as it was before striping.
    public var striping: StripeOffer?

    public init(
        operation: TransferOperation,
        selector: TransferSelector,
        srcGeometry: CacheGeometry,
        deviceCount: Int,
        timeoutMs: Int,
        striping: StripeOffer? = nil
    ) {
        self.operation = operation
        self.selector = selector
        self.srcGeometry = srcGeometry
        self.deviceCount = deviceCount
        self.timeoutMs = timeoutMs
        self.striping = striping
    }

    public static let fields: Set<String> = [
        "operation", "selector", "options", "src_geometry", "device_count", "timeout_ms", "streams", "stripe_bytes",
    ]

    public var json: JSONValue {
        var o: JSONObject = [
            "operation": .string(operation.wireName), "selector": .object(selector.json),
            "options": .object(operation.optionsJSON), "src_geometry": srcGeometry.json,
            "device_count": JSONValue(Int64(deviceCount)), "timeout_ms": JSONValue(Int64(timeoutMs)),
        ]
        striping?.add(to: &o)
        return .object(o)
    }

    public static func decode(_ value: JSONValue, defaultTimeoutMs: Int) throws(APIError) -> PushPrepare {
        let f = try RequestFields(value, known: fields)
        let operation = try TransferOperation.decode(wire: f)
        guard !operation.isPull else { throw .paramInvalid("'\(operation.name)' is not a push") }
        let selector = try TransferSelector.decode(wire: f["selector"])
        guard let g = f["src_geometry"] else { throw .paramInvalid("src_geometry is required") }
        return PushPrepare(
            operation: operation,
            selector: selector,
            srcGeometry: try CacheGeometry.decode(g),
            deviceCount: try f.int("device_count", default: 1),
            timeoutMs: try f.timeoutMs(default: defaultTimeoutMs),
            striping: try StripeOffer.decode(f)
        )
    }
}

/// The answer to a push prepare: where the data goes and how much the owner expects.
public struct PushPlan: Sendable {
    public var transferID: String
    public var dstGeometry: CacheGeometry
    public var dstSlot: Int
    public var payloadBytes: Int
    public var frameSize: Int
    /// Data requests the payload is split into (`POST /v1/peer/push/{id}/{index}`); absent from the JSON for one.
    public var streams: Int

    public init(
        transferID: String,
        dstGeometry: CacheGeometry,
        dstSlot: Int,
        payloadBytes: Int,
        frameSize: Int,
        streams: Int = 1
    ) {
        self.transferID = transferID
        self.dstGeometry = dstGeometry
        self.dstSlot = dstSlot
        self.payloadBytes = payloadBytes
        self.frameSize = frameSize
        self.streams = streams
    }

    public var json: JSONValue {
        var o: JSONObject = [
            "transfer_id": .string(transferID), "dst_geometry": dstGeometry.json,
            "dst_slot": JSONValue(Int64(dstSlot)), "payload_bytes": JSONValue(Int64(payloadBytes)),
            "frame_size": JSONValue(Int64(frameSize)),
        ]
        if streams > 1 { o["streams"] = JSONValue(Int64(streams)) }
        return .object(o)
    }

    /// The pusher's reading of the owner's answer: LLM_FAILED when it is not a push plan.
    public static func decode(_ value: JSONValue) throws(APIError) -> PushPlan {
        guard case .object(let o) = value else { throw malformed("not a JSON object") }
        guard let id = o["transfer_id"]?.stringValue, !id.isEmpty else { throw malformed("transfer_id is missing") }
        guard let g = o["dst_geometry"], let geometry = try? CacheGeometry.decode(g) else {
            throw malformed("dst_geometry is missing or invalid")
        }
        return PushPlan(
            transferID: id,
            dstGeometry: geometry,
            dstSlot: try count(o, "dst_slot"),
            payloadBytes: try count(o, "payload_bytes"),
            frameSize: try frameSizeField(o),
            streams: o["streams"] == nil ? 1 : try count(o, "streams")
        )
    }
}

extension TransferOperation {
    /// `operation` and `options` of a pull request or push prepare.
    static func decode(wire f: RequestFields) throws(APIError) -> TransferOperation {
        try decode(name: f["operation"]?.stringValue ?? "", options: f["options"] ?? .object([:]))
    }
}

extension TransferSelector {
    /// The `selector` object of a pull request or push prepare.
    public static func decode(wire value: JSONValue?) throws(APIError) -> TransferSelector {
        guard let value else { throw .paramInvalid("selector is required") }
        return try read(
            RequestFields(value, known: ["cache_key", "cache_key_by_id", "blocks_cache_key"]),
            names: [("cache_key", .key), ("cache_key_by_id", .byID), ("blocks_cache_key", .blocks)]
        )
    }
}

/// An owner's answer that is not the message expected.
private func malformed(_ why: String) -> APIError { APIError(.LLM_FAILED, "malformed peer message: \(why)") }

/// A non-negative integer field of an owner's answer (a slot, a byte count).
private func count(_ o: JSONObject, _ name: String) throws(APIError) -> Int {
    guard let v = o[name]?.int64Value, v >= 0, v <= Int64(Int.max / 2) else {
        throw malformed("\(name) is missing or not a non-negative integer")
    }
    return Int(v)
}

/// `frame_size`: positive and at most 4 GiB (a frame's length field is 32 bits).
private func frameSizeField(_ o: JSONObject) throws(APIError) -> Int {
    guard let v = o["frame_size"]?.int64Value, v > 0, v <= Int64(UInt32.max) else {
        throw malformed("frame_size is missing or out of range")
    }
    return Int(v)
}
