import DataDistModel
import Glibc
import HTTPCore
import TestSupport
import Testing

@testable import DataDistNode

/// `/v1/regions` and region-backed caches (CONTRACT §10), and every refusal of a path that is not a plain
/// file of the node's user inside `--shm-dir`.
@Suite struct RegionRouteTests {
    static let desc = #"{"num_tensors":2,"shape":[4,1024],"data_type":"DT_UINT8","placement":"HOST"}"#

    static func admin(_ dir: ShmTestDir) -> (NodeCore, AdminAPI) {
        makeAdmin { c in
            c.role = .mix  // binds keys at allocation
            c.shmDir = dir.path
            c.devicePoolBytes = 1 << 20
            c.hostPoolBytes = 1 << 20
        }
    }

    static func register(_ api: AdminAPI, _ path: String, offset: Int = 0, size: Int) -> HTTPResponse {
        call(api, "POST", "/v1/regions", body: #"{"path":"\#(path)","offset":\#(offset),"size":\#(size)}"#)
    }

    @Test func withoutShmDirRegionsAreNotEnabled() {
        let (_, api) = makeAdmin()
        let r = Self.register(api, "/dev/shm/x", size: 4096)
        #expect(r.status == 409)
        #expect(r.errorStatus == "LLM_FEATURE_NOT_ENABLED")
        let c = call(
            api,
            "POST",
            "/v1/cache",
            body: #"{"cache_desc":\#(Self.desc),"region":{"region_id":1,"tensor_offsets":[0,4096]}}"#
        )
        #expect(c.status == 409)
        #expect(c.errorStatus == "LLM_FEATURE_NOT_ENABLED")
        // Anonymous pools: no file.
        let cache = call(api, "POST", "/v1/cache", body: #"{"cache_desc":\#(Self.desc)}"#)
        #expect(cache.status == 201)
        #expect(cache.json?["memory"]?["shm_path"] == .null)
        #expect(cache.json?["memory"]?["tensors"]?.arrayValue?.count == 2)
    }

    @Test func cachesSayWhereTheirTensorsLiveInThePoolFile() throws {
        let dir = ShmTestDir()
        defer { dir.remove() }
        let (core, api) = Self.admin(dir)
        defer { core.memory.removeFiles() }
        let pool = "\(dir.path)/datadist-0-host-0.pool"
        let r = call(api, "POST", "/v1/cache", body: #"{"cache_desc":\#(Self.desc)}"#)
        #expect(r.status == 201)
        let memory = try #require(r.json?["memory"])
        #expect(memory["shm_path"]?.stringValue == pool)
        let tensors = try #require(memory["tensors"]?.arrayValue)
        #expect(tensors.map { $0["size"]?.int64Value } == [4096, 4096])
        // Write tensor 1 through the API; the bytes are in the file at the offset it gave.
        let bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let put = call(api, "PUT", "/v1/cache/1/tensors/1", bytes: bytes)
        #expect(put.status == 200, "\(put.text)")
        let offset = Int(try #require(tensors[1]["offset"]?.int64Value))
        #expect(readFile(pool, offset: offset, count: 4096) == bytes)
        // The same object in GET /v1/cache/{id} and the list; /v1/node names every pool's file.
        #expect(call(api, "GET", "/v1/cache/1").json?["memory"] == memory)
        #expect(call(api, "GET", "/v1/cache").json?["caches"]?.arrayValue?.first?["memory"] == memory)
        let pools = try #require(call(api, "GET", "/v1/node").json?["pools"]?.arrayValue)
        #expect(
            pools.compactMap { $0["shm_path"]?.stringValue }.sorted() == [
                "\(dir.path)/datadist-0-device-0.pool", pool,
            ]
        )
    }

    @Test func aRegionBackedCacheUsesTheEnginesMemoryInPlace() throws {
        let dir = ShmTestDir()
        defer { dir.remove() }
        let (core, api) = Self.admin(dir)
        defer { core.memory.removeFiles() }
        let engine = dir.file("engine.kv", size: 64 << 10, bytes: Array(repeating: 0xAB, count: 100), at: 8192 + 512)
        let reg = Self.register(api, engine, offset: 8192, size: 16384)
        #expect(reg.status == 201, "\(reg.text)")
        #expect(reg.json?["region_id"]?.int64Value == 1)
        #expect(reg.json?["path"]?.stringValue == engine)
        #expect(call(api, "GET", "/v1/regions/1").json == reg.json)
        #expect(call(api, "GET", "/v1/regions").json?["regions"]?.arrayValue == [try #require(reg.json)])

        let r = call(
            api,
            "POST",
            "/v1/cache",
            body:
                #"{"cache_desc":\#(Self.desc),"region":{"region_id":1,"tensor_offsets":[512,8192]},"cache_keys":[{"prompt_cluster_id":0,"req_id":1}]}"#
        )
        #expect(r.status == 201, "\(r.text)")
        let memory = try #require(r.json?["memory"])
        #expect(memory["shm_path"]?.stringValue == engine)
        #expect(memory["tensors"]?.arrayValue?.map { $0["offset"]?.int64Value } == [8192 + 512, 8192 + 8192])
        // Nothing of the pools is used.
        #expect(core.state.withLock { $0.caches.poolUsage.map(\.used) } == [0, 0])
        // The engine's bytes are the tensor's: read them through the API.
        let read = call(api, "GET", "/v1/cache/1/tensors/0?offset=0&size=100")
        #expect(read.drained() == Array(repeating: 0xAB, count: 100))
        // A write through the API lands in the engine's file.
        let bytes = [UInt8](repeating: 0x5C, count: 4096)
        let put = call(api, "PUT", "/v1/cache/1/tensors/1", bytes: bytes)
        #expect(put.status == 200)
        #expect(readFile(engine, offset: 8192 + 8192, count: 4096) == bytes)

        // In use: not deleted, the answer names the cache.
        let busy = call(api, "DELETE", "/v1/regions/1")
        #expect(busy.status == 409)
        #expect(busy.errorStatus == "IN_USE")
        #expect(busy.json?["error"]?["code"]?.int64Value == -1)
        #expect(busy.errorMessage?.contains("1") == true)
        // Freed (id and key): the engine's memory is untouched, then the region goes.
        #expect(call(api, "DELETE", "/v1/cache/1").status == 200)
        #expect(call(api, "DELETE", "/v1/cache/keys?req_id=1").status == 200)
        #expect(call(api, "DELETE", "/v1/regions/1").status == 200)
        #expect(readFile(engine, offset: 8192 + 8192, count: 4096) == bytes)
        #expect(fileFacts(engine)?.size == 64 << 10)
        #expect(call(api, "GET", "/v1/regions/1").status == 404)
        #expect(call(api, "DELETE", "/v1/regions/1").status == 404)
    }

    @Test func tensorsOutsideTheRegionAreRefused() throws {
        let dir = ShmTestDir()
        defer { dir.remove() }
        let (core, api) = Self.admin(dir)
        defer { core.memory.removeFiles() }
        #expect(Self.register(api, dir.file("e", size: 8192), size: 8192).status == 201)
        for offsets in ["[0,4097]", "[0]", "[0,0,0]", "[-1,0]"] {
            let r = call(
                api,
                "POST",
                "/v1/cache",
                body: #"{"cache_desc":\#(Self.desc),"region":{"region_id":1,"tensor_offsets":\#(offsets)}}"#
            )
            #expect(r.status == 400, "\(offsets): \(r.text)")
        }
        let unknown = call(
            api,
            "POST",
            "/v1/cache",
            body: #"{"cache_desc":\#(Self.desc),"region":{"region_id":2,"tensor_offsets":[0,0]}}"#
        )
        #expect(unknown.errorStatus == "LLM_PARAM_INVALID")
        #expect(core.state.withLock { $0.caches.cacheCount } == 0)
    }

    /// Each of these is refused with LLM_PARAM_INVALID and maps nothing.
    @Test func pathsThatAreNotPlainFilesOfTheNodesUserInsideTheDirectoryAreRefused() throws {
        let dir = ShmTestDir()
        defer { dir.remove() }
        let (core, api) = Self.admin(dir)
        defer { core.memory.removeFiles() }
        let target = dir.file("real", size: 8192)
        let outside = ShmTestDir()
        defer { outside.remove() }
        let secret = outside.file("secret", size: 8192)
        #expect(symlink(target, dir.path + "/link") == 0)
        #expect(symlink(secret, dir.path + "/escape") == 0)
        #expect(symlink(outside.path, dir.path + "/linkdir") == 0)
        #expect(mkfifo(dir.path + "/fifo", 0o600) == 0)
        let foreign = dir.file("foreign", size: 8192)
        let nobody = getpwnam("nobody")
        try #require(nobody != nil)
        let chowned = chown(foreign, nobody!.pointee.pw_uid, nobody!.pointee.pw_gid) == 0
        #expect(link(secret, dir.path + "/hardlink") == 0)
        #expect(mkdir(dir.path + "/sub", 0o700) == 0)
        dir.file("sub/ok", size: 8192)

        var cases: [(String, Int, Int)] = [
            (dir.path + "/link", 0, 4096),  // a symlink, even to a file inside
            (dir.path + "/escape", 0, 4096),  // a symlink out of the directory
            ("linkdir/secret", 0, 4096),  // a symlink as a directory component
            (dir.path + "/fifo", 0, 4096),  // a FIFO
            ("../" + (secret.split(separator: "/").suffix(2).joined(separator: "/")), 0, 4096),  // `..`
            ("sub/../real", 0, 4096),
            (secret, 0, 4096),  // absolute, outside
            (target, 0, 8193),  // range past the end
            (target, 4096, 4097),
            (target, 100, 4096),  // offset not page aligned
            (dir.path + "/missing", 0, 4096),
            (dir.path + "/sub", 0, 4096),  // a directory
            ("hardlink", 0, 4096),  // a second name of a file outside
        ]
        if chowned { cases.append((foreign, 0, 4096)) }  // a file of another user
        for (path, offset, size) in cases {
            let r = Self.register(api, path, offset: offset, size: size)
            #expect(r.status == 400, "\(path) [\(offset), +\(size)): \(r.text)")
            #expect(r.errorStatus == "LLM_PARAM_INVALID", "\(path): \(r.text)")
        }
        #expect(chowned, "chown to nobody needs root; the other-user case was not run")
        #expect(core.state.withLock { $0.regions.regions.isEmpty })
        // The plain cases pass.
        #expect(Self.register(api, "sub/ok", size: 8192).status == 201)
        #expect(Self.register(api, target, offset: 4096, size: 4096).status == 201)
    }
}
