import DataDistModel
import Glibc

/// The memory of every pool of a node (one DEVICE and one HOST pool per device id), and the translation of
/// cache extents and transfer plans into raw memory views.
struct PoolMemorySet: Sendable {
    /// `pools[deviceIndex][placement]`.
    private let pools: [[Placement: PoolMemory]]
    /// `--shm-dir`, resolved to an absolute path without links; nil = anonymous pools and no regions.
    let shmDir: String?
    /// The engines' registered memory (CONTRACT §10) by region id.
    let regions = RegionMappings()

    /// Reserves the address space of every pool (with `--shm-dir`: creates, locks and maps the pool files);
    /// a failure names the flag.
    static func reserve(_ config: NodeConfiguration) throws(NodeStartError) -> PoolMemorySet {
        var shmDir: String?
        if let dir = config.shmDir {
            guard let resolved = realpath(dir, nil) else {
                throw NodeStartError(message: "--shm-dir: \(dir): \(SharedMemoryPool.errorText())")
            }
            shmDir = String(cString: resolved)
            free(resolved)
            if let complaint = SharedMemoryPool.roomCheck(dir: shmDir!, config: config) {
                throw NodeStartError(message: complaint)
            }
        }
        var pools: [[Placement: PoolMemory]] = []
        for deviceID in config.deviceIDs {
            var set: [Placement: PoolMemory] = [:]
            for (placement, bytes, flag) in [
                (Placement.device, config.devicePoolBytes, "--device-pool"),
                (.host, config.hostPoolBytes, "--host-pool"),
            ] {
                guard bytes <= UInt64(Int.max) else {
                    throw NodeStartError(message: "\(flag): cannot reserve \(bytes) bytes of address space")
                }
                if let shmDir {
                    let name = SharedMemoryPool.fileName(
                        clusterID: config.clusterID,
                        placement: placement,
                        deviceID: deviceID
                    )
                    do {
                        set[placement] = try SharedMemoryPool.map(
                            dir: shmDir,
                            name: name,
                            capacity: Int(bytes),
                            mode: config.shmMode
                        )
                    } catch {
                        for memory in pools.flatMap(\.values) + set.values { memory.removeFile() }
                        throw error
                    }
                } else {
                    guard let memory = PoolMemory(capacity: Int(bytes)) else {
                        throw NodeStartError(message: "\(flag): cannot reserve \(bytes) bytes of address space")
                    }
                    set[placement] = memory
                }
            }
            pools.append(set)
        }
        return PoolMemorySet(pools: pools, shmDir: shmDir)
    }

    private init(pools: [[Placement: PoolMemory]], shmDir: String?) {
        self.pools = pools
        self.shmDir = shmDir
    }

    /// The file of the pool of `placement` on device index `d`, or nil for anonymous memory.
    func shmPath(_ placement: Placement, deviceIndex d: Int) -> String? { pools[d][placement]?.shmPath }

    /// Graceful exit: every pool file is removed.
    func removeFiles() {
        for memory in pools.flatMap(\.values) { memory.removeFile() }
    }

    var deviceCount: Int { pools.count }

    /// The capacity of the largest pool (the largest tensor write that can make sense).
    var largestPool: Int { pools.flatMap(\.values).map(\.capacity).max() ?? 0 }

    /// Tensor `t` of `cache` on device index `d`.
    func tensor(_ cache: CacheInfo, _ t: Int, device d: Int) -> UnsafeMutableRawBufferPointer {
        if let placement = cache.region {
            // Present: a region is unmapped only when no cache, visible or pinned, uses it.
            let region = regions[placement.regionID]!
            return region.bytes(at: placement.tensorOffsets[t], count: cache.tensorSize)
        }
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
