/// A byte range within one tensor.
public struct ByteRun: Hashable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let length: Int

    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }

    public var end: Int { offset + length }
    public var description: String { "[\(offset), +\(length))" }
}

/// One side of a transfer. Every tensor of a cache has the same geometry, so the side is `tensors`
/// (indices, in transfer order) × `runs` (byte ranges within a tensor, in transfer order). The byte
/// stream is: for each tensor in order, for each run in order, its bytes.
public struct TransferSide: Hashable, Sendable {
    /// Bounds on a description received from a peer.
    public static let maxTensors = 1 << 20
    public static let maxRuns = 1 << 20

    public let tensors: [Int]
    /// Coalesced: no run starts where the previous one ends.
    public let runs: [ByteRun]
    /// Sum of the run lengths.
    public let bytesPerTensor: Int

    /// Trusted construction (planner): runs are coalesced; lengths must be positive and small.
    init(trustedTensors tensors: [Int], runs: [ByteRun]) {
        self.tensors = tensors
        self.runs = Self.coalesce(runs)
        self.bytesPerTensor = runs.reduce(0) { $0 + $1.length }
    }

    /// Checked construction: nil when an index or offset is negative, a length is not positive, an end
    /// or a total overflows, or the counts exceed `maxTensors` / `maxRuns`.
    public init?(tensors: [Int], runs: [ByteRun]) {
        guard tensors.count <= Self.maxTensors, runs.count <= Self.maxRuns, tensors.allSatisfy({ $0 >= 0 }) else {
            return nil
        }
        var perTensor = 0
        for run in runs {
            guard run.offset >= 0, run.length > 0, !run.offset.addingReportingOverflow(run.length).overflow,
                case (let sum, false) = perTensor.addingReportingOverflow(run.length)
            else { return nil }
            perTensor = sum
        }
        guard !perTensor.multipliedReportingOverflow(by: tensors.count).overflow else { return nil }
        self.init(trustedTensors: tensors, runs: runs)
    }

    /// Bytes this side moves: tensors × bytes per tensor.
    public var totalBytes: Int { tensors.count * bytesPerTensor }

    /// Merges each run into its predecessor when it starts where that one ends; order is kept.
    public static func coalesce(_ runs: [ByteRun]) -> [ByteRun] {
        var out: [ByteRun] = []
        out.reserveCapacity(runs.count)
        for run in runs {
            if let last = out.last, last.end == run.offset {
                out[out.count - 1] = ByteRun(offset: last.offset, length: last.length + run.length)
            } else {
                out.append(run)
            }
        }
        return out
    }
}

/// A transfer: the source side is read, the destination side written, in the same stream order.
/// Both sides move the same number of tensors and the same bytes per tensor.
public struct TransferPlan: Hashable, Sendable {
    public let source: TransferSide
    public let destination: TransferSide

    init(source: TransferSide, destination: TransferSide) {
        precondition(source.tensors.count == destination.tensors.count, "tensor counts differ")
        precondition(source.bytesPerTensor == destination.bytesPerTensor, "bytes per tensor differ")
        self.source = source
        self.destination = destination
    }

    public var totalBytes: Int { source.totalBytes }
}
