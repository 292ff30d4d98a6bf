import Testing

@testable import DataDistModel

/// Registered memory bookkeeping (CONTRACT §10): path rules, tensor placement checks, and region-backed
/// caches taking nothing from the pools.
@Suite struct RegionTableTests {
    @Test(arguments: [
        ("a.shm", ["a.shm"]), ("/shm/dir/a.shm", ["a.shm"]), ("sub/a.shm", ["sub", "a.shm"]),
        ("/shm/dir/sub/a", ["sub", "a"]),
    ])
    func pathsInsideTheDirectoryAreComponents(_ path: String, _ want: [String]) throws {
        #expect(try RegionPath.components(path, shmDir: "/shm/dir") == want)
    }

    @Test(arguments: [
        "", "../x", "a/../../x", "/shm/dir/../etc/passwd", "/etc/passwd", "/shm/dirx/a", "/shm/dir", "/shm/dir/",
        "a//b", "./a", "a/.", "a/", "a\u{0}b",
    ])
    func pathsThatCouldLeaveTheDirectoryAreRefused(_ path: String) {
        guard case .failure(let e) = outcome({ try RegionPath.components(path, shmDir: "/shm/dir") }) else {
            Issue.record("'\(path)' was accepted")
            return
        }
        #expect(e.status == .LLM_PARAM_INVALID)
    }

    @Test func idsStartAtOneAndAreNeverReused() {
        var t = RegionTable()
        let a = t.add(path: "/d/a", offset: 0, size: 4096)
        t.remove(a.id)
        let b = t.add(path: "/d/a", offset: 0, size: 4096)
        #expect(a.id == 1 && b.id == 2)
        #expect(t[1] == nil && t[2] == b)
        #expect(t.json["regions"]?.arrayValue?.count == 1)
    }

    @Test func everyTensorMustLieInsideTheRegion() {
        var t = RegionTable()
        let r = t.add(path: "/d/a", offset: 0, size: 4096)
        let desc = StoreFixture.desc(2, [4, 256])  // 1024-byte tensors
        #expect(
            (try? t.placement(regionID: r.id, tensorOffsets: [0, 3072], desc: desc))?.tensorOffsets == [0, 3072]
        )
        for bad: [Int64] in [[0], [0, 1024, 2048], [0, 3073], [0, Int64.max]] {
            guard case .failure(let e) = outcome({ try t.placement(regionID: r.id, tensorOffsets: bad, desc: desc) })
            else {
                Issue.record("\(bad) was accepted")
                continue
            }
            #expect(e.status == .LLM_PARAM_INVALID)
        }
        guard case .failure(let e) = outcome({ try t.placement(regionID: 9, tensorOffsets: [0, 0], desc: desc) }) else {
            Issue.record("an unknown region was accepted")
            return
        }
        #expect(e.status == .LLM_PARAM_INVALID)
    }

    @Test func aRegionBackedCacheTakesAndReturnsNoPoolMemory() throws {
        var store = StoreFixture.store()
        let placement = RegionPlacement(regionID: 7, tensorOffsets: [100, 5000])
        let info = try store.allocate(desc: StoreFixture.desc(), blocks: false, role: .decoder, region: placement)
        #expect(StoreFixture.usage(store) == [0, 0])
        #expect(info.extents.isEmpty)
        #expect(info.tensorOffset(1) == 5000)
        #expect(store.cacheIDs(usingRegion: 7) == [info.id])
        #expect(store.cacheIDs(usingRegion: 8).isEmpty)
        // Pinned by a transfer, then freed: the region stays in use until the last unpin.
        try store.pin(info.id)
        store.deallocate(info.id)
        #expect(store.cacheIDs(usingRegion: 7) == [info.id])
        store.unpin(info.id)
        #expect(store.cacheIDs(usingRegion: 7).isEmpty)
        #expect(StoreFixture.usage(store) == [0, 0])
    }
}
