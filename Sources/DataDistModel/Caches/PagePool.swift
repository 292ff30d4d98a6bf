/// A byte range `[offset, offset + length)` handed out by a `PagePool`.
public struct PoolExtent: Hashable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let length: Int

    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }

    public var end: Int { offset + length }
    public var description: String { "[\(offset), \(end))" }
}

/// A page-granular first-fit allocator over `[0, capacity)`. Pure bookkeeping: offsets, no memory.
/// Free space is a sorted list of disjoint, non-adjacent extents (neighbours coalesce on free).
public struct PagePool: Sendable {
    public let pageShift: Int
    /// Bytes managed: the requested capacity rounded down to whole pages.
    public let capacity: Int
    /// Bytes in allocated extents (whole pages).
    public private(set) var used = 0
    /// Free extents sorted by offset; no two touch.
    public private(set) var freeExtents: [PoolExtent]
    /// Live extents by offset → length, so that a double or foreign free cannot pass silently.
    private var live: [Int: Int] = [:]

    /// `capacity` is rounded down to whole pages of `1 << pageShift` bytes.
    public init(capacity: UInt64, pageShift: Int) {
        precondition((0...40).contains(pageShift), "page shift \(pageShift) out of range")
        self.pageShift = pageShift
        let bytes = Int(clamping: capacity)
        self.capacity = (bytes >> pageShift) << pageShift
        self.freeExtents = self.capacity > 0 ? [PoolExtent(offset: 0, length: self.capacity)] : []
    }

    public var pageSize: Int { 1 << pageShift }
    public var free: Int { capacity - used }
    /// The longest allocation that would succeed now.
    public var largestFree: Int { freeExtents.reduce(0) { max($0, $1.length) } }
    /// Number of live extents.
    public var allocationCount: Int { live.count }

    /// `bytes` rounded up to whole pages, or nil when that overflows.
    public func roundedUp(_ bytes: Int) -> Int? {
        let mask = pageSize - 1
        let (sum, overflow) = bytes.addingReportingOverflow(mask)
        return overflow ? nil : sum & ~mask
    }

    /// The first free extent that fits `bytes` rounded up to whole pages, or nil. `bytes` must be > 0.
    public mutating func allocate(_ bytes: Int) -> PoolExtent? {
        precondition(bytes > 0, "allocating \(bytes) bytes")
        guard let length = roundedUp(bytes), length <= free else { return nil }
        guard let i = freeExtents.firstIndex(where: { $0.length >= length }) else { return nil }
        let hole = freeExtents[i]
        let extent = PoolExtent(offset: hole.offset, length: length)
        if hole.length == length {
            freeExtents.remove(at: i)
        } else {
            freeExtents[i] = PoolExtent(offset: hole.offset + length, length: hole.length - length)
        }
        live[extent.offset] = length
        used += length
        return extent
    }

    /// True when `extent` is exactly a live allocation of this pool.
    public func isAllocated(_ extent: PoolExtent) -> Bool { live[extent.offset] == extent.length }

    /// Returns a live extent; neighbouring free extents merge with it. Freeing anything that is not a
    /// live extent of this pool (twice, foreign, resized) is a programmer error and traps.
    public mutating func free(_ extent: PoolExtent) {
        precondition(isAllocated(extent), "freeing \(extent), which is not a live extent of this pool")
        live[extent.offset] = nil
        used -= extent.length
        // First free extent after this one (binary search: the list is sorted by offset).
        var low = 0
        var high = freeExtents.count
        while low < high {
            let mid = (low + high) / 2
            if freeExtents[mid].offset < extent.offset { low = mid + 1 } else { high = mid }
        }
        var merged = extent
        let joinsPrevious = low > 0 && freeExtents[low - 1].end == extent.offset
        let joinsNext = low < freeExtents.count && freeExtents[low].offset == extent.end
        if joinsNext {
            merged = PoolExtent(offset: merged.offset, length: merged.length + freeExtents[low].length)
            freeExtents.remove(at: low)
        }
        if joinsPrevious {
            let previous = freeExtents[low - 1]
            freeExtents[low - 1] = PoolExtent(offset: previous.offset, length: previous.length + merged.length)
        } else {
            freeExtents.insert(merged, at: low)
        }
    }
}
