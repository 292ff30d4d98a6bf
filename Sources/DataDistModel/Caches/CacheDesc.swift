/// A cache's shape: `numTensors` equal tensors of `shape` and `dataType` in one placement's pool
/// (CONTRACT §6). Only valid descriptions exist: build one with `make` or `decode`.
public struct CacheDesc: Sendable, Equatable {
    /// LLM-DataDist rejects shapes with more dims (`kMaxDimNum = 32`, exclusive).
    public static let maxDims = 31

    public let numTensors: Int
    public let shape: [Int64]
    public let dataType: DataType
    public let placement: Placement
    /// -1 or a dim index; informational.
    public let seqLenDimIndex: Int
    /// `prod(shape) * dataType.size` bytes.
    public let tensorSize: Int

    /// Batch slots of a normal cache: `shape[0]`.
    public var batchSize: Int { Int(shape[0]) }
    /// Blocks of a blocks cache: `shape[0]`.
    public var numBlocks: Int { Int(shape[0]) }
    /// Bytes per slot (or block): `tensorSize / shape[0]`.
    public var stride: Int { tensorSize / batchSize }

    private init(numTensors: Int, shape: [Int64], dataType: DataType, placement: Placement, seqLen: Int, size: Int) {
        self.numTensors = numTensors
        self.shape = shape
        self.dataType = dataType
        self.placement = placement
        self.seqLenDimIndex = seqLen
        self.tensorSize = size
    }

    /// The semantic checks, all LLM_PARAM_INVALID, in this order: `numTensors` ≤ 0 (or above 2^32-1),
    /// no dims or more than 31, a dim ≤ 0, `seqLenDimIndex` not -1 and not a dim index, tensor size overflow.
    public static func make(
        numTensors: Int,
        shape: [Int64],
        dataType: DataType,
        placement: Placement = .device,
        seqLenDimIndex: Int = -1
    ) throws(APIError) -> CacheDesc {
        guard numTensors > 0, numTensors <= Int(UInt32.max) else {
            throw .paramInvalid("num_tensors must be in 1...\(UInt32.max), got \(numTensors)")
        }
        guard !shape.isEmpty, shape.count <= maxDims else {
            throw .paramInvalid("shape must have 1...\(maxDims) dims, got \(shape.count)")
        }
        if let bad = shape.firstIndex(where: { $0 <= 0 }) {
            throw .paramInvalid("shape[\(bad)] must be > 0, got \(shape[bad])")
        }
        guard seqLenDimIndex == -1 || (0..<shape.count).contains(seqLenDimIndex) else {
            throw .paramInvalid("seq_len_dim_index must be -1 or in [0, \(shape.count)), got \(seqLenDimIndex)")
        }
        var size = dataType.size
        for dim in shape {
            let (product, overflow) = size.multipliedReportingOverflow(by: Int(dim))
            guard !overflow else {
                throw .paramInvalid("tensor size of shape \(shape) × \(dataType.rawValue) overflows")
            }
            size = product
        }
        return CacheDesc(
            numTensors: numTensors,
            shape: shape,
            dataType: dataType,
            placement: placement,
            seqLen: seqLenDimIndex,
            size: size
        )
    }

    /// `{"num_tensors", "shape", "data_type", "placement", "seq_len_dim_index"}` as in the request body.
    public var json: JSONValue {
        [
            "num_tensors": JSONValue(numTensors),
            "shape": .array(shape.map { .int($0) }),
            "data_type": .string(dataType.rawValue),
            "placement": .string(placement.rawValue),
            "seq_len_dim_index": JSONValue(seqLenDimIndex),
        ]
    }
}
