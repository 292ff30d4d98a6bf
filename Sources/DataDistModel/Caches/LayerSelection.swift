/// A half-open range of layers `[start, stop)`, written `[start, stop]` on the wire.
public struct LayerRange: Hashable, Sendable {
    public let start: Int
    public let stop: Int

    /// nil unless `0 <= start < stop`.
    public init?(start: Int, stop: Int) {
        guard start >= 0, stop > start else { return nil }
        self.start = start
        self.stop = stop
    }

    public var count: Int { stop - start }
    public var json: JSONValue { [JSONValue(start), JSONValue(stop)] }

    /// Not an array of two integers → TYPE_ERROR (VALUE_ERROR beyond Int64); `start < 0` or
    /// `stop <= start` → LLM_PARAM_INVALID.
    public static func decode(_ value: JSONValue, field: String) throws(APIError) -> LayerRange {
        guard case .array(let bounds) = value, bounds.count == 2 else {
            throw .typeError("'\(field)' must be an array of two integers [start, stop]")
        }
        let start = try JSONInteger.int64(bounds[0], field: "\(field)[0]")
        let stop = try JSONInteger.int64(bounds[1], field: "\(field)[1]")
        guard start >= 0, stop > start, let range = LayerRange(start: Int(start), stop: Int(stop)) else {
            throw .paramInvalid("'\(field)' [\(start), \(stop)) must satisfy 0 <= start < stop")
        }
        return range
    }
}

/// Which layers of each side a transfer moves. Layer i is tensors `[i*N, (i+1)*N)`; absent = all tensors.
public struct LayerSelection: Hashable, Sendable {
    public static let defaultTensorsPerLayer = 2

    public var src: LayerRange?
    public var dst: LayerRange?
    /// N, > 0.
    public var tensorsPerLayer: Int

    public init(src: LayerRange? = nil, dst: LayerRange? = nil, tensorsPerLayer: Int = defaultTensorsPerLayer) {
        self.src = src
        self.dst = dst
        self.tensorsPerLayer = tensorsPerLayer
    }

    /// Reads `src_layer_range`, `dst_layer_range` (null = absent) and `tensor_num_per_layer` (TYPE_ERROR
    /// when not an integer, VALUE_ERROR when negative or above 2^32-1, LLM_PARAM_INVALID when 0).
    public static func decode(_ body: JSONObject) throws(APIError) -> LayerSelection {
        var selection = LayerSelection()
        if let v = body["tensor_num_per_layer"], v != .null {
            let n = try JSONInteger.uint32(v, field: "tensor_num_per_layer")
            guard n != 0 else { throw .paramInvalid("'tensor_num_per_layer' must be > 0") }
            selection.tensorsPerLayer = n
        }
        for field in ["src_layer_range", "dst_layer_range"] {
            guard let v = body[field], v != .null else { continue }
            let r = try LayerRange.decode(v, field: field)
            if field == "src_layer_range" { selection.src = r } else { selection.dst = r }
        }
        return selection
    }

    /// The tensors `range` selects in a cache of `numTensors` tensors: all when absent; with a range,
    /// `numTensors` must be a multiple of N and the range within the layers (LLM_PARAM_INVALID).
    /// `wholeLayers` demands the multiple even without a range (push, as the library).
    func tensors(
        _ range: LayerRange?,
        numTensors: Int,
        side: String,
        wholeLayers: Bool = false
    )
        throws(APIError) -> Range<Int>
    {
        let n = tensorsPerLayer
        guard n > 0 else { throw .paramInvalid("'tensor_num_per_layer' must be > 0") }
        guard let range else {
            if wholeLayers && numTensors % n != 0 {
                throw .paramInvalid(
                    "\(side) cache: \(numTensors) tensors is not a multiple of tensor_num_per_layer \(n)"
                )
            }
            return 0..<numTensors
        }
        guard numTensors % n == 0 else {
            throw .paramInvalid("\(side) cache: \(numTensors) tensors is not a multiple of tensor_num_per_layer \(n)")
        }
        let layers = numTensors / n
        guard range.stop <= layers else {
            throw .paramInvalid("\(side)_layer_range [\(range.start), \(range.stop)) exceeds the \(layers) layers")
        }
        return range.start * n..<range.stop * n
    }

    /// With both ranges given, their lengths must match (checked before the peer is asked).
    func checkExplicitCounts() throws(APIError) {
        guard let src, let dst, src.count != dst.count else { return }
        throw .paramInvalid("src_layer_range has \(src.count) layers but dst_layer_range has \(dst.count)")
    }
}
