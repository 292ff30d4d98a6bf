@testable import DataDistModel

/// Geometries and a naive byte-level reference for transfer plan tests.
enum TransferFixture {
    static func geometry(
        _ kind: CacheKind,
        tensors: Int = 4,
        shape: [Int64] = [4, 64],
        placement: Placement = .device
    ) -> CacheGeometry {
        guard
            case .success(let d) = outcome({
                try CacheDesc.make(
                    numTensors: tensors,
                    shape: shape,
                    dataType: .int8,
                    placement: placement
                )
            })
        else { fatalError("fixture description is invalid") }
        return CacheGeometry(kind: kind, desc: d)
    }

    /// The (tensor, byte) addresses a side touches, in stream order.
    static func stream(_ side: TransferSide) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        for t in side.tensors {
            for run in side.runs { for b in run.offset..<run.end { out.append((t, b)) } }
        }
        return out
    }

    static func status(_ r: Result<TransferPlan, APIError>) -> APIStatus? { r.failureStatus }
}
