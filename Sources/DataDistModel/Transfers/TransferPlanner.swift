/// Pure planning of the byte ranges a pull, push or local copy moves, with the contract's checks
/// (all LLM_PARAM_INVALID). The `check…` functions are the half a node can run before asking a peer.
public enum TransferPlanner {
    /// Runs of whole blocks, in the given order.
    static func blockRuns(_ blocks: [Int], stride: Int) -> [ByteRun] {
        blocks.map { ByteRun(offset: $0 * stride, length: stride) }
    }

    /// Every index in `[0, count)`, else LLM_PARAM_INVALID naming the list.
    static func checkIndices(_ indices: [Int], count: Int, name: String) throws(APIError) {
        guard let i = indices.firstIndex(where: { $0 < 0 || $0 >= count }) else { return }
        throw .paramInvalid("\(name)[\(i)] = \(indices[i]) is out of range [0, \(count))")
    }

    /// -1 → `whole`; else must be in (0, `whole`].
    static func transferSize(_ size: Int64, whole: Int, side: String) throws(APIError) -> Int {
        if size == -1 { return whole }
        guard size > 0, size <= Int64(whole) else {
            throw .paramInvalid("size \(size) must be -1 or in (0, \(whole)] (the \(side) stride)")
        }
        return Int(size)
    }

    static func plan(
        source: (tensors: Range<Int>, runs: [ByteRun]),
        destination: (tensors: Range<Int>, runs: [ByteRun])
    ) throws(APIError) -> TransferPlan {
        guard source.tensors.count == destination.tensors.count else {
            throw .paramInvalid(
                "the source moves \(source.tensors.count) tensors but the destination takes "
                    + "\(destination.tensors.count)"
            )
        }
        return TransferPlan(
            source: TransferSide(trustedTensors: Array(source.tensors), runs: source.runs),
            destination: TransferSide(trustedTensors: Array(destination.tensors), runs: destination.runs)
        )
    }

    static func requireKind(_ g: CacheGeometry, _ kind: CacheKind, _ message: String) throws(APIError) {
        guard g.kind == kind else { throw .paramInvalid(message) }
    }
}
