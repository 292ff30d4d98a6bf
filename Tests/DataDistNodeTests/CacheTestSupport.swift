import DataDistModel
import Dispatch
import HTTPCore
import HTTPServer
import Synchronization
import Testing

@testable import DataDistNode

/// Like `call`, with a binary body framed by Content-Length (what tensor writes send). The body goes through
/// the route's sink when it streams one, as on the server.
func call(_ api: some HTTPHandler, _ method: String, _ target: String, bytes: [UInt8]) -> HTTPResponse {
    let head = HTTPRequestHead(
        method: method,
        target: target,
        headers: ["Host": "test", "Content-Type": "application/octet-stream"],
        framing: .contentLength(bytes.count)
    )
    return drive(api, head, bytes)
}

extension HTTPResponse {
    /// The body bytes: read out of the producer (which is then finished, ending its pins) when the
    /// response streams one, else `body`.
    func drained() -> [UInt8] {
        guard let producer else { return body }
        var out: [UInt8] = []
        var regions: [UnsafeRawBufferPointer] = []
        while producer.next(maxBytes: 7, into: &regions) {
            for r in regions { out.append(contentsOf: r) }
            regions.removeAll()
        }
        producer.finish(completed: true)
        #expect(out.count == producer.contentLength)
        return out
    }
}

/// A `cache_desc` object.
func desc(_ numTensors: Int, _ shape: [Int], _ type: String = "DT_UINT8", placement: String = "DEVICE") -> String {
    #"{"num_tensors":\#(numTensors),"shape":\#(shape),"data_type":"\#(type)","placement":"\#(placement)"}"#
}

/// `count` bytes that differ from zero-filled memory and from other seeds.
func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) | 0x80 }
}

/// A node with small pools of 1 KiB pages, driven through its admin handler (nothing bound).
struct CacheNode {
    let core: NodeCore
    let api: AdminAPI

    init(
        role: Role = .prompt,
        devicePool: UInt64 = 64 << 10,
        hostPool: UInt64 = 32 << 10,
        devices: [Int] = [0],
        compat: CompatProfile = .documented
    ) {
        (core, api) = makeAdmin { c in
            c.role = role
            c.compat = compat
            c.pageShift = 10
            c.devicePoolBytes = devicePool
            c.hostPoolBytes = hostPool
            c.deviceIDs = devices
        }
    }

    /// `POST /v1/cache` with a JSON body.
    func allocate(_ body: String) -> HTTPResponse { call(api, "POST", "/v1/cache", body: body) }

    /// Allocates and returns the new cache id (the test fails when the allocation does).
    func cacheID(_ body: String) throws -> Int64 {
        let r = allocate(body)
        #expect(r.status == 201, "\(body) → \(r.text)")
        return try #require(r.json?["cache_id"]?.int64Value, "\(r.text)")
    }

    /// `GET /v1/cache`.
    func listing() -> JSONValue? { call(api, "GET", "/v1/cache").json }

    /// Bytes in use in the pool of `placement` ("DEVICE" or "HOST") of `device`, from `GET /v1/cache`.
    func used(_ placement: String, device: Int = 0) -> Int64? {
        listing()?["pools"]?.arrayValue?.first {
            $0["placement"]?.stringValue == placement && $0["device_id"]?.int64Value == Int64(device)
        }?["used"]?.int64Value
    }

    /// Ids of the listed caches.
    func listedIDs() -> [Int64] {
        listing()?["caches"]?.arrayValue?.compactMap { $0["cache_id"]?.int64Value } ?? []
    }

    /// `PUT /v1/cache/{id}/tensors/{t}?query`.
    func write(_ id: Int64, _ tensor: Int, _ query: String = "", _ bytes: [UInt8]) -> HTTPResponse {
        call(api, "PUT", "/v1/cache/\(id)/tensors/\(tensor)" + (query.isEmpty ? "" : "?" + query), bytes: bytes)
    }

    /// `GET /v1/cache/{id}/tensors/{t}?query`: the response and its drained body.
    func read(_ id: Int64, _ tensor: Int, _ query: String = "") -> (response: HTTPResponse, bytes: [UInt8]) {
        let r = call(api, "GET", "/v1/cache/\(id)/tensors/\(tensor)" + (query.isEmpty ? "" : "?" + query))
        return (r, r.drained())
    }

    /// The bytes of tensor `t` (whole), or [] when the read fails.
    func bytes(_ id: Int64, _ tensor: Int, _ query: String = "") -> [UInt8] {
        let (r, b) = read(id, tensor, query)
        #expect(r.status == 200, "read \(id)/\(tensor)?\(query) → \(r.text)")
        return r.status == 200 ? b : []
    }

    /// Pins held on a cache (0 once every request is done with it).
    func pins(_ id: Int64) -> Int { core.state.withLock { $0.caches.pins(id) } }
}
