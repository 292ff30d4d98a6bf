@testable import DataDistModel

/// Shared builders for cache store tests.
enum StoreFixture {
    /// 1 KiB pages, 64 KiB pools.
    static func store(devices: [Int] = [0], device: UInt64 = 64 << 10, host: UInt64 = 64 << 10) -> CacheStore {
        CacheStore(devices: devices, devicePoolBytes: device, hostPoolBytes: host, pageShift: 10)
    }

    static func desc(
        _ numTensors: Int = 2,
        _ shape: [Int64] = [4, 256],
        _ type: DataType = .int8,
        _ placement: Placement = .device
    ) -> CacheDesc {
        guard let d = try? CacheDesc.make(numTensors: numTensors, shape: shape, dataType: type, placement: placement)
        else { fatalError("fixture description is invalid") }
        return d
    }

    static func key(_ req: UInt64, model: UInt64 = 0, prefix: UInt64 = UInt64.max) -> CacheKey {
        CacheKey(promptClusterID: 0, reqID: req, modelID: model, prefixID: prefix)
    }

    static func usage(_ store: CacheStore) -> [Int] { store.poolUsage.map(\.used) }
}
