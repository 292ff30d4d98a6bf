extension CacheDesc {
    private static let knownFields: Set<String> = [
        "num_tensors", "shape", "data_type", "placement", "seq_len_dim_index",
    ]

    /// Field by field: wrong JSON types (or a missing required field) → TYPE_ERROR; negative or too
    /// large `num_tensors`, a dim outside Int64, unknown `data_type`/`placement` names → VALUE_ERROR;
    /// then unknown fields → LLM_PARAM_INVALID; then the checks of `make` (LLM_PARAM_INVALID).
    public static func decode(_ value: JSONValue) throws(APIError) -> CacheDesc {
        guard case .object(let o) = value else { throw .typeError("'cache_desc' must be an object") }
        guard let numValue = o["num_tensors"] else { throw .typeError("'num_tensors' is required") }
        let numTensors = try JSONInteger.uint32(numValue, field: "num_tensors")
        guard let shapeValue = o["shape"] else { throw .typeError("'shape' is required") }
        guard case .array(let dims) = shapeValue else {
            throw .typeError("'shape' must be an array of integers")
        }
        var shape: [Int64] = []
        shape.reserveCapacity(dims.count)
        for (i, dim) in dims.enumerated() {
            shape.append(try JSONInteger.int64(dim, field: "shape[\(i)]"))
        }
        guard let typeValue = o["data_type"] else { throw .typeError("'data_type' is required") }
        guard case .string(let typeName) = typeValue else {
            throw .typeError("'data_type' must be a string")
        }
        guard let dataType = DataType(parsing: typeName) else {
            let names = DataType.allCases.map(\.rawValue).joined(separator: ", ")
            throw .valueError("'data_type' must be one of \(names), got '\(typeName)'")
        }
        var placement = Placement.device
        switch o["placement"] {
        case nil, .null?: break
        case .string(let text)?:
            guard let p = Placement(parsing: text) else {
                throw .valueError("'placement' must be DEVICE or HOST, got '\(text)'")
            }
            placement = p
        default: throw .typeError("'placement' must be a string (DEVICE or HOST)")
        }
        var seqLen = -1
        if let v = o["seq_len_dim_index"], v != .null {
            seqLen = Int(try JSONInteger.int64(v, field: "seq_len_dim_index", in: Int64(Int32.min)...Int64(Int32.max)))
        }
        if let unknown = o.keys.first(where: { !knownFields.contains($0) }) {
            throw .paramInvalid("cache_desc: unknown field '\(unknown)'")
        }
        return try make(
            numTensors: numTensors,
            shape: shape,
            dataType: dataType,
            placement: placement,
            seqLenDimIndex: seqLen
        )
    }
}
