/// A cache key's identity on its owning node (facts §1.7): `(prefix_id, model_id)` when `prefix_id` is
/// set, else `(req_id, model_id)`. The cluster id only says which node to ask; it is not part of it.
public struct KeyIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The id meaning "no id" (padding keys, unset prefix ids).
    public static let invalidID = UInt64.max

    public var isPrefix: Bool
    public var id: UInt64
    public var modelID: UInt64

    public init(isPrefix: Bool, id: UInt64, modelID: UInt64) {
        self.isPrefix = isPrefix
        self.id = id
        self.modelID = modelID
    }

    /// A request key `(req_id, model_id)`.
    public static func request(_ reqID: UInt64, modelID: UInt64 = 0) -> KeyIdentity {
        KeyIdentity(isPrefix: false, id: reqID, modelID: modelID)
    }

    /// A prefix key `(prefix_id, model_id)`.
    public static func prefix(_ prefixID: UInt64, modelID: UInt64 = 0) -> KeyIdentity {
        KeyIdentity(isPrefix: true, id: prefixID, modelID: modelID)
    }

    /// A padding key: binds nothing, its slot is skipped.
    public var isPlaceholder: Bool { id == Self.invalidID }

    public var description: String { "\(isPrefix ? "prefix_id" : "req_id") \(id), model_id \(modelID)" }

    /// The key named by `DELETE /v1/cache/keys?req_id=…&model_id=…` (or `prefix_id=…`): a set `prefix_id`
    /// wins over `req_id` (as the library's key identity). Neither given, or an unknown parameter →
    /// LLM_PARAM_INVALID; a value that is not a decimal UInt64 → VALUE_ERROR.
    public static func parseQuery(_ parameters: [(name: String, value: String)]) throws(APIError) -> KeyIdentity {
        var values: [String: UInt64] = [:]
        for (name, text) in parameters {
            guard ["req_id", "prefix_id", "model_id"].contains(name) else {
                throw .paramInvalid("unknown query parameter '\(name)' (known: req_id, prefix_id, model_id)")
            }
            guard values[name] == nil else { throw .paramInvalid("query parameter '\(name)' repeated") }
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = UInt64(text) else {
                throw .valueError("'\(name)' must be an integer in 0...2^64-1, got '\(text)'")
            }
            values[name] = v
        }
        let modelID = values["model_id"] ?? 0
        if let prefix = values["prefix_id"], prefix != invalidID { return .prefix(prefix, modelID: modelID) }
        guard let req = values["req_id"] else {
            throw .paramInvalid("one of req_id and prefix_id is required")
        }
        return .request(req, modelID: modelID)
    }
}
