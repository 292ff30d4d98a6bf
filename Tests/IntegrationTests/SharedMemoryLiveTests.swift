import DataDistModel
import DataDistNode
import Glibc
import Testing

/// A co-located engine's memory crossing nodes (CONTRACT §10): region-backed caches as the source and the
/// destination of pulls and pushes, with `--shm-dir` pools on both sides; every check reads the files
/// directly, as an engine would, not through the API.
@Suite struct SharedMemoryLiveTests {
    static let tensor = 64 << 10
    static let desc = uint8Desc(2, [1, tensor])

    static func shm(_ dir: ShmTestDir) -> (inout NodeConfiguration) -> Void {
        { c in
            c.shmDir = dir.path
            c.devicePoolBytes = 4 << 20
            c.hostPoolBytes = 4 << 20
        }
    }

    /// `memory` of a cache answer: (shm_path, [offset]).
    static func memory(_ r: RawHTTPConnection.Response?) throws -> (String, [Int]) {
        let m = try #require(r?.json?.objectValue?["memory"]?.objectValue, "\(r?.text ?? "no answer")")
        let path = try #require(m["shm_path"]?.stringValue)
        let offsets = try #require(m["tensors"]?.arrayValue).compactMap { $0.objectValue?["offset"]?.int64Value }
        return (path, offsets.map(Int.init))
    }

    @Test func pullFromARegionBackedCacheIntoAShmPoolCacheOnAnotherNode() throws {
        let (dirP, dirD) = (ShmTestDir(), ShmTestDir())
        defer {
            dirP.remove()
            dirD.remove()
        }
        let p = try LiveNode.prompt(0, Self.shm(dirP))
        let d = try LiveNode.decoder(1, Self.shm(dirD))
        // The engine's file: the region starts one page in; tensor 1 sits 128 KiB after tensor 0.
        let kv = (0..<2).map { seededBytes(Self.tensor, seed: 900 + UInt64($0)) }
        let engine = dirP.file("engine.kv", size: 512 << 10)
        for (t, at) in [(0, 4096), (1, 4096 + (128 << 10))] {
            dirP.file("engine.kv", size: 512 << 10, bytes: kv[t], at: at, truncate: false)
        }
        let reg = try #require(p.post("/v1/regions", #"{"path":"\#(engine)","offset":4096,"size":\#(256 << 10)}"#))
        #expect(reg.status == 201, "\(reg.text)")
        let src = try #require(
            p.post(
                "/v1/cache",
                #"{"cache_desc":\#(Self.desc),"cache_keys":[\#(requestKey(0, 1))],"region":{"region_id":1,"tensor_offsets":[0,\#(128 << 10)]}}"#
            )
        )
        #expect(src.status == 201, "\(src.text)")
        #expect(try Self.memory(src) == (engine, [4096, 4096 + (128 << 10)]))

        let dst = try #require(d.post("/v1/cache", #"{"cache_desc":\#(Self.desc)}"#))
        let (pool, offsets) = try Self.memory(dst)
        #expect(pool == "\(dirD.path)/datadist-1-host-0.pool")
        let dstID = try #require(dst.json?.objectValue?["cache_id"]?.int64Value)
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        let pulled = try #require(d.post("/v1/cache/\(dstID)/pull", #"{"cache_key":\#(requestKey(0, 1))}"#))
        #expect(pulled.status == 200, "\(pulled.text)")
        for t in 0..<2 {
            #expect(byteMismatch(readFile(pool, offset: offsets[t], count: Self.tensor), kv[t]) == nil, "tensor \(t)")
        }
        // The key is consumed; the cache id and the engine's memory remain; freeing the cache frees the region.
        let srcID = try #require(src.json?.objectValue?["cache_id"]?.int64Value)
        #expect(p.request("DELETE", "/v1/regions/1")?.status == 409)
        #expect(p.deallocate(srcID) == 200)
        #expect(p.request("DELETE", "/v1/regions/1")?.status == 200)
        #expect(byteMismatch(readFile(engine, offset: 4096, count: Self.tensor), kv[0]) == nil)
        #expect(d.unlink([(0, p.peerAddress)])?.status == 200)
    }

    @Test func aRegionBackedCacheIsAPullDestinationAndAPushSource() throws {
        let (dirP, dirD) = (ShmTestDir(), ShmTestDir())
        defer {
            dirP.remove()
            dirD.remove()
        }
        let p = try LiveNode.prompt(0, Self.shm(dirP))
        let d = try LiveNode.decoder(1, Self.shm(dirD))
        let kv = (0..<2).map { seededBytes(Self.tensor, seed: 950 + UInt64($0)) }
        let src = try #require(
            p.post("/v1/cache", #"{"cache_desc":\#(Self.desc),"cache_keys":[\#(requestKey(0, 2))]}"#)
        )
        let srcID = try #require(src.json?.objectValue?["cache_id"]?.int64Value)
        for t in 0..<2 { #expect(p.writeTensor(srcID, t, kv[t]) == 200) }

        // The decoder's engine lends a file; the pull lands in it.
        let engine = dirD.file("decode.kv", size: 256 << 10)
        #expect(d.post("/v1/regions", #"{"path":"decode.kv","size":\#(256 << 10)}"#)?.status == 201)
        let dst = try #require(
            d.post(
                "/v1/cache",
                #"{"cache_desc":\#(Self.desc),"region":{"region_id":1,"tensor_offsets":[\#(128 << 10),0]}}"#
            )
        )
        #expect(try Self.memory(dst) == (engine, [128 << 10, 0]))
        let dstID = try #require(dst.json?.objectValue?["cache_id"]?.int64Value)
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        let pulled = try #require(d.post("/v1/cache/\(dstID)/pull", #"{"cache_key":\#(requestKey(0, 2))}"#))
        #expect(pulled.status == 200, "\(pulled.text)")
        #expect(byteMismatch(readFile(engine, offset: 128 << 10, count: Self.tensor), kv[0]) == nil)
        #expect(byteMismatch(readFile(engine, offset: 0, count: Self.tensor), kv[1]) == nil)

        // The engine computes new KV in place, then the node pushes it back into the prompt's pool.
        let fresh = (0..<2).map { seededBytes(Self.tensor, seed: 970 + UInt64($0)) }
        dirD.file("decode.kv", size: 256 << 10, bytes: fresh[0], at: 128 << 10, truncate: false)
        dirD.file("decode.kv", size: 256 << 10, bytes: fresh[1], at: 0, truncate: false)
        let pushed = try #require(
            d.post(
                "/v1/cache/\(dstID)/push",
                #"{"dst_cache_key_by_id":{"cluster_id":0,"cache_id":\#(srcID),"batch_index":0},"src_batch_index":0}"#
            )
        )
        #expect(pushed.status == 200, "\(pushed.text)")
        let (pool, offsets) = try Self.memory(p.request("GET", "/v1/cache/\(srcID)"))
        for t in 0..<2 {
            #expect(
                byteMismatch(readFile(pool, offset: offsets[t], count: Self.tensor), fresh[t]) == nil,
                "tensor \(t)"
            )
        }
        // A local copy out of the region into a pool cache, read back through the API.
        let copyDst = try d.allocate(#"{"cache_desc":\#(Self.desc)}"#)
        let copied = try #require(d.post("/v1/cache/\(copyDst)/copy", #"{"src_cache_id":\#(dstID)}"#))
        #expect(copied.status == 200, "\(copied.text)")
        #expect(byteMismatch(d.readTensor(copyDst, 1), fresh[1]) == nil)
        #expect(d.unlink([(0, p.peerAddress)])?.status == 200)
    }
}
