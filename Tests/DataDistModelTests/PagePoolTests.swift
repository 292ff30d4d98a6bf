import TestSupport
import Testing

@testable import DataDistModel

/// The page-granular first-fit allocator.
@Suite struct PagePoolTests {
    @Test func capacityIsRoundedDownToWholePages() {
        let pool = PagePool(capacity: 10_000, pageShift: 12)
        #expect(pool.pageSize == 4096)
        #expect(pool.capacity == 8192)
        #expect(pool.used == 0)
        #expect(pool.free == 8192)
        #expect(pool.largestFree == 8192)
        #expect(PagePool(capacity: 4095, pageShift: 12).capacity == 0)
        #expect(PagePool(capacity: UInt64.max, pageShift: 16).capacity == (Int.max >> 16) << 16)
    }

    @Test func emptyPoolRefusesEverything() {
        var pool = PagePool(capacity: 100, pageShift: 10)
        #expect(pool.capacity == 0)
        #expect(pool.allocate(1) == nil)
        #expect(pool.largestFree == 0)
        #expect(pool.freeExtents == [])
    }

    @Test func allocationsRoundUpToPagesAndAreFirstFit() throws {
        var pool = PagePool(capacity: 16 * 1024, pageShift: 10)
        let a = try take(&pool, 1)
        let b = try take(&pool, 1024)
        let c = try take(&pool, 1025)
        #expect(a == PoolExtent(offset: 0, length: 1024))
        #expect(b == PoolExtent(offset: 1024, length: 1024))
        #expect(c == PoolExtent(offset: 2048, length: 2048))
        #expect(pool.used == 4096)
        #expect(pool.free == 12 * 1024)
        pool.free(b)
        // First fit: the hole left by b takes a one-page request, a two-page request goes past c.
        #expect(pool.allocate(1000) == PoolExtent(offset: 1024, length: 1024))
        #expect(pool.allocate(2000) == PoolExtent(offset: 4096, length: 2048))
        #expect(pool.allocationCount == 4)
    }

    @Test func requestsTooLargeOrOverflowingFail() {
        var pool = PagePool(capacity: 8192, pageShift: 12)
        #expect(pool.allocate(8193) == nil)
        #expect(pool.allocate(Int.max) == nil)
        #expect(pool.roundedUp(Int.max) == nil)
        #expect(pool.used == 0)
        #expect(pool.allocate(8192) == PoolExtent(offset: 0, length: 8192))
        #expect(pool.allocate(1) == nil)
    }

    @Test func freeCoalescesWithBothNeighbours() throws {
        var pool = PagePool(capacity: 5 * 1024, pageShift: 10)
        let parts = try (0..<5).map { _ in try take(&pool, 1024) }
        #expect(pool.freeExtents == [])
        pool.free(parts[1])
        pool.free(parts[3])
        #expect(pool.freeExtents == [PoolExtent(offset: 1024, length: 1024), PoolExtent(offset: 3072, length: 1024)])
        pool.free(parts[2])  // joins both neighbours into one
        #expect(pool.freeExtents == [PoolExtent(offset: 1024, length: 3072)])
        pool.free(parts[0])  // joins the next one only
        #expect(pool.freeExtents == [PoolExtent(offset: 0, length: 4096)])
        pool.free(parts[4])  // joins the previous one only
        #expect(pool.freeExtents == [PoolExtent(offset: 0, length: 5120)])
        #expect(pool.used == 0)
        #expect(pool.largestFree == 5120)
    }

    @Test func fragmentationLimitsTheLargestAllocation() throws {
        var pool = PagePool(capacity: 8 * 1024, pageShift: 10)
        let parts = try (0..<8).map { _ in try take(&pool, 1024) }
        for i in stride(from: 0, to: 8, by: 2) { pool.free(parts[i]) }
        #expect(pool.free == 4096)
        #expect(pool.largestFree == 1024)
        #expect(pool.allocate(2048) == nil)
        #expect(pool.allocate(1024) == PoolExtent(offset: 0, length: 1024))
    }

    @Test func isAllocatedKnowsLiveExtentsOnly() throws {
        var pool = PagePool(capacity: 4096, pageShift: 10)
        let a = try take(&pool, 2048)
        #expect(pool.isAllocated(a))
        #expect(!pool.isAllocated(PoolExtent(offset: 0, length: 1024)))
        #expect(!pool.isAllocated(PoolExtent(offset: 2048, length: 1024)))
        pool.free(a)
        #expect(!pool.isAllocated(a))
    }

    /// 10k random allocate/free operations against a page bitmap: same answers, exact accounting, no
    /// overlap, free list sorted and fully coalesced.
    @Test func randomOperationsMatchAReferenceModel() throws {
        var rng = SeededGenerator(seed: 0xC0FFEE)
        let pages = 256
        var pool = PagePool(capacity: UInt64(pages * 1024), pageShift: 10)
        var taken = [Bool](repeating: false, count: pages)
        var live: [PoolExtent] = []
        for _ in 0..<10_000 {
            if !live.isEmpty && Int.random(in: 0..<100, using: &rng) < 45 {
                let extent = live.remove(at: Int.random(in: 0..<live.count, using: &rng))
                pool.free(extent)
                for p in extent.offset / 1024..<extent.end / 1024 { taken[p] = false }
            } else {
                let bytes = Int.random(in: 1...12 * 1024, using: &rng)
                let need = (bytes + 1023) / 1024
                // Reference first fit over the bitmap.
                var expected: Int?
                var run = 0
                for p in 0..<pages {
                    run = taken[p] ? 0 : run + 1
                    if run == need {
                        expected = p - need + 1
                        break
                    }
                }
                let got = pool.allocate(bytes)
                #expect(got?.offset == expected.map { $0 * 1024 })
                if let got {
                    #expect(got.length == need * 1024)
                    for p in got.offset / 1024..<got.end / 1024 {
                        #expect(!taken[p])
                        taken[p] = true
                    }
                    live.append(got)
                }
            }
            let usedPages = taken.filter { $0 }.count
            #expect(pool.used == usedPages * 1024)
            #expect(pool.free == pool.capacity - pool.used)
            #expect(pool.allocationCount == live.count)
        }
        let holes = pool.freeExtents
        for (a, b) in zip(holes, holes.dropFirst()) { #expect(a.end < b.offset) }
        for hole in holes {
            for p in hole.offset / 1024..<hole.end / 1024 { #expect(!taken[p]) }
        }
        #expect(holes.reduce(0) { $0 + $1.length } == pool.free)
        for extent in live { pool.free(extent) }
        #expect(pool.used == 0)
        #expect(pool.freeExtents == [PoolExtent(offset: 0, length: pages * 1024)])
    }
}

/// Allocates or fails the test.
private func take(_ pool: inout PagePool, _ bytes: Int) throws -> PoolExtent {
    let extent = pool.allocate(bytes)
    return try #require(extent)
}
