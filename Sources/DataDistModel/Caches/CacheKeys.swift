/// `cache_key`: a request's KV cache on a prompt node (LLM-DataDist `CacheKey`).
public struct CacheKey: Hashable, Sendable {
    public var promptClusterID: UInt64
    public var reqID: UInt64
    public var modelID: UInt64
    public var prefixID: UInt64

    public init(promptClusterID: UInt64, reqID: UInt64, modelID: UInt64 = 0, prefixID: UInt64 = KeyIdentity.invalidID) {
        self.promptClusterID = promptClusterID
        self.reqID = reqID
        self.modelID = modelID
        self.prefixID = prefixID
    }

    /// The owner-side identity: the prefix id when set, else the request id.
    public var identity: KeyIdentity {
        prefixID != KeyIdentity.invalidID
            ? .prefix(prefixID, modelID: modelID) : .request(reqID, modelID: modelID)
    }

    /// A padding key (effective id 2^64-1): its slot is skipped when binding.
    public var isPlaceholder: Bool { identity.isPlaceholder }

    /// Pulling needs exactly one of `req_id`, `prefix_id` valid (< 2^64-1), else LLM_PARAM_INVALID.
    public func validateForPull() throws(APIError) {
        let reqValid = reqID != KeyIdentity.invalidID
        let prefixValid = prefixID != KeyIdentity.invalidID
        if !reqValid && !prefixValid {
            throw .paramInvalid("one of req_id and prefix_id should contain a valid value")
        }
        if reqValid && prefixValid {
            throw .paramInvalid("only one of req_id and prefix_id may contain a valid value")
        }
    }

    public var json: JSONValue {
        [
            "prompt_cluster_id": JSONValue(promptClusterID), "req_id": JSONValue(reqID),
            "model_id": JSONValue(modelID), "prefix_id": JSONValue(prefixID),
        ]
    }

    /// `prompt_cluster_id` and `req_id` required, `model_id` (0) and `prefix_id` (2^64-1) optional.
    public static func decode(_ value: JSONValue, field: String = "cache_key") throws(APIError) -> CacheKey {
        let f = try KeyFields.decode(
            value,
            field: field,
            required: ["prompt_cluster_id", "req_id"],
            optional: ["model_id": 0, "prefix_id": KeyIdentity.invalidID]
        )
        return CacheKey(
            promptClusterID: f["prompt_cluster_id"]!,
            reqID: f["req_id"]!,
            modelID: f["model_id"]!,
            prefixID: f["prefix_id"]!
        )
    }
}

/// `cache_key_by_id`: a batch slot of a cache addressed by id (LLM-DataDist `CacheKeyByIdAndIndex`).
public struct CacheKeyByID: Hashable, Sendable {
    public var clusterID: UInt64
    public var cacheID: Int64
    public var batchIndex: Int

    public init(clusterID: UInt64, cacheID: Int64, batchIndex: Int = 0) {
        self.clusterID = clusterID
        self.cacheID = cacheID
        self.batchIndex = batchIndex
    }

    public var json: JSONValue {
        ["cluster_id": JSONValue(clusterID), "cache_id": JSONValue(cacheID), "batch_index": JSONValue(batchIndex)]
    }

    /// `cluster_id` (UInt64) and `cache_id` (Int64) required, `batch_index` (UInt32, default 0) optional.
    public static func decode(_ value: JSONValue, field: String = "cache_key_by_id") throws(APIError) -> CacheKeyByID {
        guard case .object(let o) = value else { throw .typeError("'\(field)' must be an object") }
        if let unknown = o.keys.first(where: { !["cluster_id", "cache_id", "batch_index"].contains($0) }) {
            throw .paramInvalid("\(field): unknown field '\(unknown)'")
        }
        guard let clusterValue = o["cluster_id"] else { throw .paramInvalid("\(field).cluster_id is required") }
        guard let idValue = o["cache_id"] else { throw .paramInvalid("\(field).cache_id is required") }
        let cluster = try JSONInteger.uint64(clusterValue, field: "\(field).cluster_id")
        let cacheID = try JSONInteger.int64(idValue, field: "\(field).cache_id")
        let batch =
            try o["batch_index"].map { v throws(APIError) in try JSONInteger.uint32(v, field: "\(field).batch_index") }
            ?? 0
        return CacheKeyByID(clusterID: cluster, cacheID: cacheID, batchIndex: batch)
    }
}

/// `blocks_cache_key`: the blocks cache of a model on a node (one per `model_id` per node).
public struct BlocksCacheKey: Hashable, Sendable {
    public var promptClusterID: UInt64
    public var modelID: UInt64

    public init(promptClusterID: UInt64, modelID: UInt64 = 0) {
        self.promptClusterID = promptClusterID
        self.modelID = modelID
    }

    public var json: JSONValue { ["prompt_cluster_id": JSONValue(promptClusterID), "model_id": JSONValue(modelID)] }

    /// `prompt_cluster_id` required, `model_id` (0) optional.
    public static func decode(
        _ value: JSONValue,
        field: String = "blocks_cache_key"
    ) throws(APIError) -> BlocksCacheKey {
        let f = try KeyFields.decode(value, field: field, required: ["prompt_cluster_id"], optional: ["model_id": 0])
        return BlocksCacheKey(promptClusterID: f["prompt_cluster_id"]!, modelID: f["model_id"]!)
    }
}

/// Shared decoding of key objects whose fields are all UInt64.
private enum KeyFields {
    /// Not an object or a non-integer field → TYPE_ERROR; out of range → VALUE_ERROR; unknown field or
    /// missing required field → LLM_PARAM_INVALID (as the library's key constructors).
    static func decode(
        _ value: JSONValue,
        field: String,
        required: [String],
        optional: KeyValuePairs<String, UInt64>
    ) throws(APIError) -> [String: UInt64] {
        guard case .object(let o) = value else { throw .typeError("'\(field)' must be an object") }
        let known = Set(required + optional.map(\.key))
        if let unknown = o.keys.first(where: { !known.contains($0) }) {
            throw .paramInvalid("\(field): unknown field '\(unknown)'")
        }
        var result: [String: UInt64] = [:]
        for name in required {
            guard let v = o[name] else { throw .paramInvalid("\(field).\(name) is required") }
            result[name] = try JSONInteger.uint64(v, field: "\(field).\(name)")
        }
        for (name, fallback) in optional {
            guard let v = o[name], v != .null else {
                result[name] = fallback
                continue
            }
            result[name] = try JSONInteger.uint64(v, field: "\(field).\(name)")
        }
        return result
    }
}
