/// What a cache is: a normal cache (batch slots) or a blocks cache (PagedAttention blocks).
public enum CacheKind: String, Sendable, Equatable {
    case cache
    case blocks
}

/// The shape facts a transfer plan needs about one side: kind and description. Both nodes can
/// compute it, and it travels between them as `{"kind", "cache_desc"}`.
public struct CacheGeometry: Sendable, Equatable {
    public let kind: CacheKind
    public let desc: CacheDesc

    public init(kind: CacheKind, desc: CacheDesc) {
        self.kind = kind
        self.desc = desc
    }

    public var numTensors: Int { desc.numTensors }
    public var tensorSize: Int { desc.tensorSize }
    /// Batch slots (normal cache) or blocks (blocks cache): `shape[0]`.
    public var slots: Int { desc.batchSize }
    /// Bytes per slot or block.
    public var stride: Int { desc.stride }
    public var placement: Placement { desc.placement }

    public var json: JSONValue { ["kind": .string(kind.rawValue), "cache_desc": desc.json] }

    /// Decodes a peer's description; any defect is LLM_PARAM_INVALID (peer input, not a user's body).
    public static func decode(_ value: JSONValue) throws(APIError) -> CacheGeometry {
        guard let kindText = value["kind"]?.stringValue, let kind = CacheKind(rawValue: kindText) else {
            throw .paramInvalid("cache geometry: 'kind' must be \"cache\" or \"blocks\"")
        }
        guard let descValue = value["cache_desc"] else {
            throw .paramInvalid("cache geometry: 'cache_desc' is required")
        }
        do {
            return CacheGeometry(kind: kind, desc: try CacheDesc.decode(descValue))
        } catch {
            throw .paramInvalid("cache geometry: \(error.message)")
        }
    }
}
