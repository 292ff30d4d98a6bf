import DataDistModel
import TestSupport
import Testing

/// Deterministic pseudo-random bytes (SplitMix64), so a transfer's payload is known on both ends. Written a
/// word at a time: tests build tens of MiB of it in debug builds.
func seededBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        let base = UnsafeMutableRawPointer(buffer.baseAddress!)
        var offset = 0
        while offset < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            if count - offset >= 8 {
                base.storeBytes(of: z.littleEndian, toByteOffset: offset, as: UInt64.self)
                offset += 8
            } else {
                for k in 0..<(count - offset) {
                    base.storeBytes(
                        of: UInt8(truncatingIfNeeded: z >> (8 * k)),
                        toByteOffset: offset + k,
                        as: UInt8.self
                    )
                }
                offset = count
            }
        }
        initialized = count
    }
}

/// The "invalid id" (2^64-1) that marks an unset `req_id` / `prefix_id`.
let invalidID = UInt64.max

/// `cache_desc` JSON of `num` DT_UINT8 tensors of `shape` (so sizes are plain byte counts) on the HOST pool.
func uint8Desc(_ num: Int, _ shape: [Int]) -> String {
    #"{"num_tensors":\#(num),"shape":[\#(shape.map(String.init).joined(separator: ","))],"data_type":"DT_UINT8","placement":"HOST"}"#
}

/// A request `cache_key` JSON.
func requestKey(_ cluster: UInt64, _ req: UInt64, model: UInt64 = 0) -> String {
    #"{"prompt_cluster_id":\#(cluster),"req_id":\#(req),"model_id":\#(model)}"#
}

/// A prefix `cache_key` JSON (`req_id` is the invalid id).
func prefixKey(_ cluster: UInt64, _ prefix: UInt64, model: UInt64 = 0) -> String {
    #"{"prompt_cluster_id":\#(cluster),"req_id":\#(invalidID),"model_id":\#(model),"prefix_id":\#(prefix)}"#
}

extension LiveNode {
    func post(_ path: String, _ json: String) -> RawHTTPConnection.Response? {
        request("POST", path, body: json)
    }

    /// `POST /v1/cache` with `body`; the new cache id (the call must answer 201).
    func allocate(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int64 {
        let r = try #require(post("/v1/cache", body), sourceLocation: sourceLocation)
        #expect(r.status == 201, "\(r.text)", sourceLocation: sourceLocation)
        return try #require(r.json?.objectValue?["cache_id"]?.int64Value, "\(r.text)", sourceLocation: sourceLocation)
    }

    /// Writes `bytes` to tensor `t` of cache `id` (`query` selects a slot/block/range); the HTTP status.
    @discardableResult
    func writeTensor(_ id: Int64, _ t: Int, _ bytes: [UInt8], query: String = "") -> Int {
        request("PUT", "/v1/cache/\(id)/tensors/\(t)\(query.isEmpty ? "" : "?" + query)", bytes: bytes)?.status ?? 0
    }

    /// Reads tensor `t` of cache `id` (nil unless 200).
    func readTensor(_ id: Int64, _ t: Int, query: String = "") -> [UInt8]? {
        guard let r = request("GET", "/v1/cache/\(id)/tensors/\(t)\(query.isEmpty ? "" : "?" + query)"),
            r.status == 200
        else { return nil }
        return r.body
    }

    func deallocate(_ id: Int64) -> Int { request("DELETE", "/v1/cache/\(id)")?.status ?? 0 }

    /// `used` of every pool from `GET /v1/cache` (nil when the listing cannot be read).
    var poolsUsed: [Int64]? {
        guard let pools = request("GET", "/v1/cache")?.json?.objectValue?["pools"]?.arrayValue else { return nil }
        return pools.map { $0.objectValue?["used"]?.int64Value ?? -1 }
    }

    /// True once every pool of the node reports `used == 0` (pins of finished transfers are released
    /// asynchronously, hence the poll).
    func poolsDrain(within seconds: Double = 5) -> Bool {
        eventually(within: seconds) { poolsUsed?.allSatisfy { $0 == 0 } == true }
    }

    /// Ids of the visible caches.
    var cacheIDs: [Int64] {
        request("GET", "/v1/cache")?.json?.objectValue?["caches"]?.arrayValue?
            .compactMap { $0.objectValue?["cache_id"]?.int64Value } ?? []
    }

    /// `bytes_pulled`/`bytes_pushed` of the link with `remote` (nil when there is none).
    func linkCounters(_ remote: UInt64) -> (pulled: UInt64, pushed: UInt64)? {
        guard let links = request("GET", "/v1/links")?.json?.objectValue?["links"]?.arrayValue,
            let link = links.first(where: { $0.objectValue?["remote_cluster_id"]?.uint64Value == remote })?.objectValue,
            let pulled = link["bytes_pulled"]?.uint64Value, let pushed = link["bytes_pushed"]?.uint64Value
        else { return nil }
        return (pulled, pushed)
    }

    /// `datadist_transfer_bytes_total{kind=…}` from `/metrics` (nil when absent).
    func transferBytesMetric(_ kind: String) -> UInt64? {
        guard let text = request("GET", "/metrics")?.text else { return nil }
        let prefix = #"datadist_transfer_bytes_total{kind="\#(kind)"} "#
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
        return UInt64(line.dropFirst(prefix.count))
    }
}

extension RawHTTPConnection.Response {
    /// `code` of an error body (or of a success answer).
    var code: Int64? {
        json?.objectValue?["error"]?.objectValue?["code"]?.int64Value ?? json?.objectValue?["code"]?.int64Value
    }
}

/// nil when `got` holds exactly `want`; else where they first differ (short, readable failures instead of
/// megabyte-long array dumps).
func byteMismatch(_ got: [UInt8]?, _ want: some Collection<UInt8>) -> String? {
    guard let got else { return "the read failed" }
    let want = Array(want)
    guard got.count == want.count else { return "\(got.count) bytes, expected \(want.count)" }
    guard let i = got.indices.first(where: { got[$0] != want[$0] }) else { return nil }
    return "first difference at byte \(i) of \(got.count): got \(got[i]), expected \(want[i])"
}
