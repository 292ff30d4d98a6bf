/// A registered region (LLM-DataDist `register_cache`): `[offset, offset + size)` of an engine's file in
/// `--shm-dir`, mapped by the node, lent to caches placed in it (CONTRACT §10).
public struct Region: Sendable, Equatable {
    public let id: Int64
    /// The absolute path of the file (`--shm-dir` joined with the checked components).
    public let path: String
    public let offset: Int
    public let size: Int

    public init(id: Int64, path: String, offset: Int, size: Int) {
        self.id = id
        self.path = path
        self.offset = offset
        self.size = size
    }

    public var json: JSONValue {
        ["region_id": JSONValue(id), "path": .string(path), "offset": JSONValue(offset), "size": JSONValue(size)]
    }
}

/// Where a region-backed cache's tensors are: one offset per tensor, relative to the region's start.
public struct RegionPlacement: Sendable, Equatable {
    public let regionID: Int64
    public let tensorOffsets: [Int]

    public init(regionID: Int64, tensorOffsets: [Int]) {
        self.regionID = regionID
        self.tensorOffsets = tensorOffsets
    }
}

/// The node's registered regions. Pure bookkeeping; the mappings live in the node. Ids start at 1 and are
/// never reused.
public struct RegionTable: Sendable {
    public private(set) var regions: [Int64: Region] = [:]
    public private(set) var nextID: Int64 = 1

    public init() {}

    /// Records a region (already checked and mapped) under a fresh id.
    public mutating func add(path: String, offset: Int, size: Int) -> Region {
        let region = Region(id: nextID, path: path, offset: offset, size: size)
        nextID += 1
        regions[region.id] = region
        return region
    }

    public mutating func remove(_ id: Int64) { regions[id] = nil }

    public subscript(id: Int64) -> Region? { regions[id] }

    /// `{"regions": [...]}` in id order.
    public var json: JSONValue {
        ["regions": .array(regions.keys.sorted().compactMap { regions[$0]?.json })]
    }

    /// Checks a cache's `"region"` against the region: it exists, one offset per tensor, each tensor's
    /// `tensorSize` bytes inside it.
    public func placement(regionID: Int64, tensorOffsets: [Int64], desc: CacheDesc) throws(APIError) -> RegionPlacement
    {
        guard let region = regions[regionID] else {
            throw .paramInvalid("region \(regionID) is not registered")
        }
        guard tensorOffsets.count == desc.numTensors else {
            throw .paramInvalid(
                "'region.tensor_offsets' has \(tensorOffsets.count) offsets for \(desc.numTensors) tensors"
            )
        }
        var offsets: [Int] = []
        for (t, o) in tensorOffsets.enumerated() {
            guard o >= 0, o <= Int64(region.size), Int64(desc.tensorSize) <= Int64(region.size) - o else {
                throw .paramInvalid(
                    "tensor \(t) at offset \(o) (\(desc.tensorSize) bytes) does not lie inside region \(regionID) "
                        + "of \(region.size) bytes"
                )
            }
            offsets.append(Int(o))
        }
        return RegionPlacement(regionID: regionID, tensorOffsets: offsets)
    }
}
