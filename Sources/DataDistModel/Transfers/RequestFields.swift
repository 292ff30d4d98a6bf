/// Typed reads of a JSON request body's fields, with the contract's error classes (TYPE_ERROR for a wrong
/// JSON type, VALUE_ERROR for a value out of range, LLM_PARAM_INVALID for unknown fields).
public struct RequestFields {
    public let object: JSONObject

    public init(_ body: JSONValue, known: Set<String>) throws(APIError) {
        guard case .object(let o) = body else { throw .typeError("the body must be a JSON object") }
        if let unknown = o.keys.first(where: { !known.contains($0) }) {
            throw .paramInvalid("unknown field '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        object = o
    }

    /// The field, treating `null` as absent.
    public subscript(_ name: String) -> JSONValue? {
        guard let v = object[name], v != .null else { return nil }
        return v
    }

    public func int64(
        _ name: String,
        default value: Int64,
        in range: ClosedRange<Int64> = Int64.min...Int64.max
    ) throws(APIError) -> Int64 {
        guard let v = self[name] else { return value }
        return try JSONInteger.int64(v, field: name, in: range)
    }

    public func int(_ name: String, default value: Int) throws(APIError) -> Int {
        Int(try int64(name, default: Int64(value), in: 0...Int64(UInt32.max)))
    }

    public func requiredInt64(_ name: String) throws(APIError) -> Int64 {
        guard let v = self[name] else { throw .typeError("'\(name)' is required (an integer)") }
        return try JSONInteger.int64(v, field: name)
    }

    public func bool(_ name: String, default value: Bool) throws(APIError) -> Bool {
        guard let v = self[name] else { return value }
        guard case .bool(let b) = v else { throw .typeError("'\(name)' must be a boolean") }
        return b
    }

    /// A list of non-negative indices (block numbers).
    public func indices(_ name: String) throws(APIError) -> [Int] {
        guard let v = self[name] else { return [] }
        guard case .array(let items) = v else { throw .typeError("'\(name)' must be an array of integers") }
        var out: [Int] = []
        out.reserveCapacity(items.count)
        for item in items {
            out.append(Int(try JSONInteger.int64(item, field: name, in: 0...Int64(UInt32.max))))
        }
        return out
    }

    /// `timeout_ms` for a transfer (default `--sync-kv-timeout-ms`).
    public func timeoutMs(default value: Int) throws(APIError) -> Int {
        guard let v = self["timeout_ms"] else { return value }
        let t = try JSONInteger.int64(v, field: "timeout_ms")
        guard t > 0, t <= Int64(LinkRequest.maxTimeoutMs) else {
            throw .paramInvalid("'timeout_ms' must be in 1...\(LinkRequest.maxTimeoutMs), got \(t)")
        }
        return Int(t)
    }

    public func layers() throws(APIError) -> LayerSelection { try LayerSelection.decode(object) }
}
