extension TransferSide {
    /// `{"tensors": [[start, count], ...], "runs": [[offset, length], ...]}`: tensors compressed as runs of
    /// consecutive indices.
    public var json: JSONValue {
        var groups: [JSONValue] = []
        var i = 0
        while i < tensors.count {
            var j = i + 1
            while j < tensors.count && tensors[j] == tensors[j - 1] + 1 { j += 1 }
            groups.append([JSONValue(tensors[i]), JSONValue(j - i)])
            i = j
        }
        return [
            "tensors": .array(groups),
            "runs": .array(runs.map { [JSONValue($0.offset), JSONValue($0.length)] }),
        ]
    }

    /// Decodes a description received from a peer (untrusted): any defect is LLM_PARAM_INVALID, never a
    /// trap — wrong shapes or types, negative values, zero counts or lengths, overflowing ends, more
    /// than `maxTensors` tensors or `maxRuns` runs. Check it against the cache with `validate`.
    public static func decode(_ value: JSONValue) throws(APIError) -> TransferSide {
        guard case .object(let o) = value, o.members.count == 2,
            case .array(let tensorGroups)? = o["tensors"], case .array(let runPairs)? = o["runs"]
        else {
            throw .paramInvalid("transfer description must be {\"tensors\": [...], \"runs\": [...]}")
        }
        guard runPairs.count <= maxRuns else { throw .paramInvalid("more than \(maxRuns) runs") }
        var tensors: [Int] = []
        for group in tensorGroups {
            guard let (start, count) = pair(group), count > 0, count <= maxTensors - tensors.count,
                !start.addingReportingOverflow(count).overflow
            else {
                throw .paramInvalid("bad tensor group \(group) (at most \(maxTensors) tensors in all)")
            }
            tensors.append(contentsOf: start..<start + count)
        }
        var runs: [ByteRun] = []
        runs.reserveCapacity(runPairs.count)
        for item in runPairs {
            guard let (offset, length) = pair(item), length > 0 else {
                throw .paramInvalid("bad run \(item)")
            }
            runs.append(ByteRun(offset: offset, length: length))
        }
        guard let side = TransferSide(tensors: tensors, runs: runs) else {
            throw .paramInvalid("transfer description overflows")
        }
        return side
    }

    /// Two non-negative Int64 integers.
    private static func pair(_ value: JSONValue) -> (Int, Int)? {
        guard case .array(let a) = value, a.count == 2, case .int(let x) = a[0], case .int(let y) = a[1],
            x >= 0, y >= 0
        else { return nil }
        return (Int(x), Int(y))
    }

    /// Bounds-checks every tensor index against `numTensors` and every run against the tensor size
    /// (LLM_PARAM_INVALID on any violation).
    public func validate(against geometry: CacheGeometry) throws(APIError) {
        if let bad = tensors.first(where: { $0 < 0 || $0 >= geometry.numTensors }) {
            throw .paramInvalid("tensor \(bad) is out of range (the cache has \(geometry.numTensors))")
        }
        if let bad = runs.first(where: {
            $0.offset < 0 || $0.length <= 0 || $0.offset > geometry.tensorSize - $0.length
        }) {
            throw .paramInvalid("run \(bad) exceeds the tensor size \(geometry.tensorSize)")
        }
    }

    /// `validate(against: cache.geometry)`.
    public func validate(against cache: CacheInfo) throws(APIError) { try validate(against: cache.geometry) }
}
