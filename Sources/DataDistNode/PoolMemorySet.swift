import DataDistModel

/// The memory of every pool of a node (one DEVICE and one HOST pool per device id), and the translation of
/// cache extents and transfer plans into raw memory views.
struct PoolMemorySet: Sendable {
    /// `pools[deviceIndex][placement]`.
    private let pools: [[Placement: PoolMemory]]

    /// Reserves the address space of every pool; nil names the flag whose size could not be reserved.
    static func reserve(_ config: NodeConfiguration) -> Result<PoolMemorySet, NodeStartError> {
        var pools: [[Placement: PoolMemory]] = []
        for _ in config.deviceIDs {
            var set: [Placement: PoolMemory] = [:]
            for (placement, bytes, flag) in [
                (Placement.device, config.devicePoolBytes, "--device-pool"),
                (.host, config.hostPoolBytes, "--host-pool"),
            ] {
                guard bytes <= UInt64(Int.max), let memory = PoolMemory(capacity: Int(bytes)) else {
                    return .failure(NodeStartError(message: "\(flag): cannot reserve \(bytes) bytes of address space"))
                }
                set[placement] = memory
            }
            pools.append(set)
        }
        return .success(PoolMemorySet(pools: pools))
    }

    private init(pools: [[Placement: PoolMemory]]) { self.pools = pools }

    var deviceCount: Int { pools.count }

    /// The capacity of the largest pool (the largest tensor write that can make sense).
    var largestPool: Int { pools.flatMap(\.values).map(\.capacity).max() ?? 0 }

    /// Tensor `t` of `cache` on device index `d`.
    func tensor(_ cache: CacheInfo, _ t: Int, device d: Int) -> UnsafeMutableRawBufferPointer {
        let memory = pools[d][cache.desc.placement]!
        return memory.bytes(at: cache.tensorOffset(t, deviceIndex: d), count: cache.tensorSize)
    }

    /// The regions of a (validated) transfer side in stream order: devices, then tensors, then runs.
    func regions(_ cache: CacheInfo, _ side: TransferSide) -> [UnsafeMutableRawBufferPointer] {
        var out: [UnsafeMutableRawBufferPointer] = []
        out.reserveCapacity(deviceCount * side.tensors.count * side.runs.count)
        for d in 0..<deviceCount {
            for t in side.tensors {
                let base = tensor(cache, t, device: d)
                for run in side.runs {
                    out.append(UnsafeMutableRawBufferPointer(rebasing: base[run.offset..<run.end]))
                }
            }
        }
        return out
    }
}
