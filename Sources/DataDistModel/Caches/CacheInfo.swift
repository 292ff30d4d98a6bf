/// Where one device's copy of a cache lives: an extent of that device's pool of the cache's placement.
public struct DeviceExtent: Sendable, Equatable {
    public let deviceID: Int
    public let extent: PoolExtent

    public init(deviceID: Int, extent: PoolExtent) {
        self.deviceID = deviceID
        self.extent = extent
    }
}

/// An allocated cache as the store hands it out: id, description, kind and memory. Tensor `t` of the
/// copy on `extents[d]` starts at `extents[d].extent.offset + t * tensorSpan` (page aligned).
public struct CacheInfo: Sendable, Equatable {
    public let id: Int64
    public let desc: CacheDesc
    public let kind: CacheKind
    /// `tensorSize` rounded up to whole pages: the distance between consecutive tensors.
    public let tensorSpan: Int
    /// One extent per device of the store, in the store's device order; empty for a region-backed cache.
    public let extents: [DeviceExtent]
    /// Set when the tensors are an engine's registered memory (CONTRACT §10), not pool memory.
    public let region: RegionPlacement?

    public init(
        id: Int64,
        desc: CacheDesc,
        kind: CacheKind,
        tensorSpan: Int,
        extents: [DeviceExtent],
        region: RegionPlacement? = nil
    ) {
        self.id = id
        self.desc = desc
        self.kind = kind
        self.tensorSpan = tensorSpan
        self.extents = extents
        self.region = region
    }

    public var geometry: CacheGeometry { CacheGeometry(kind: kind, desc: desc) }
    public var tensorSize: Int { desc.tensorSize }
    /// Batch slots or blocks: `shape[0]`.
    public var slots: Int { desc.batchSize }
    public var stride: Int { desc.stride }

    /// Pool offset of tensor `tensor` in the copy at `extents[deviceIndex]` (for a region-backed cache: the
    /// offset within the region).
    public func tensorOffset(_ tensor: Int, deviceIndex: Int = 0) -> Int {
        precondition(tensor >= 0 && tensor < desc.numTensors, "tensor \(tensor) out of range")
        if let region { return region.tensorOffsets[tensor] }
        return extents[deviceIndex].extent.offset + tensor * tensorSpan
    }
}
