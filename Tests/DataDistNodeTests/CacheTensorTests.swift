import DataDistModel
import HTTPCore
import Testing

@testable import DataDistNode

/// `PUT` and `GET /v1/cache/{id}/tensors/{t}` (CONTRACT §6): whole tensor, one slot or block,
/// offset/size, devices, and every refusal leaving the bytes and the pins as they were.
@Suite struct CacheTensorTests {
    /// 2 tensors of 4 slots × 8 bytes (tensor 32 bytes).
    static let cache = #"{"cache_desc":\#(desc(2, [4, 8]))}"#

    @Test func wholeTensorWriteThenRead() throws {
        let node = CacheNode()
        let id = try node.cacheID(Self.cache)
        #expect(node.bytes(id, 1) == [UInt8](repeating: 0, count: 32))
        let data = pattern(32, seed: 1)
        let w = node.write(id, 1, "", data)
        #expect(w.status == 200, "\(w.text)")
        #expect(w.text == #"{"status":"LLM_SUCCESS","code":0,"bytes":32}"#)
        let (r, bytes) = node.read(id, 1)
        #expect(r.status == 200)
        #expect(r.headers["Content-Type"] == "application/octet-stream")
        #expect(r.contentLength == 32)
        #expect(bytes == data)
        // The other tensor is untouched.
        #expect(node.bytes(id, 0) == [UInt8](repeating: 0, count: 32))
        #expect(node.pins(id) == 0)
    }

    @Test func oneSlotWriteAndRead() throws {
        let node = CacheNode()
        let id = try node.cacheID(Self.cache)
        let slot = pattern(8, seed: 2)
        #expect(node.write(id, 0, "batch_index=2", slot).text == #"{"status":"LLM_SUCCESS","code":0,"bytes":8}"#)
        #expect(node.bytes(id, 0, "batch_index=2") == slot)
        var expected = [UInt8](repeating: 0, count: 32)
        expected.replaceSubrange(16..<24, with: slot)
        #expect(node.bytes(id, 0) == expected)
        #expect(node.bytes(id, 0, "batch_index=3") == [UInt8](repeating: 0, count: 8))
    }

    @Test func oneBlockWriteAndRead() throws {
        let node = CacheNode()
        let id = try node.cacheID(#"{"cache_desc":\#(desc(2, [4, 8])),"blocks":true}"#)
        let block = pattern(8, seed: 3)
        #expect(node.write(id, 1, "block=3", block).status == 200)
        #expect(node.bytes(id, 1, "block=3") == block)
        #expect(Array(node.bytes(id, 1)[24..<32]) == block)
        // A blocks cache is addressed by block, a normal cache by batch_index.
        #expect(node.read(id, 1, "batch_index=3").response.errorStatus == "LLM_PARAM_INVALID")
        let normal = try node.cacheID(Self.cache)
        #expect(node.read(normal, 0, "block=1").response.errorStatus == "LLM_PARAM_INVALID")
    }

    @Test func offsetAndSizeNarrowTheRange() throws {
        let node = CacheNode()
        let id = try node.cacheID(Self.cache)
        let whole = pattern(32, seed: 4)
        #expect(node.write(id, 0, "", whole).status == 200)
        // Within a slot: slot 1 is [8, 16); offset 2, size 4 → [10, 14).
        let piece = [UInt8](repeating: 0x11, count: 4)
        #expect(node.write(id, 0, "batch_index=1&offset=2&size=4", piece).text.contains(#""bytes":4"#))
        var expected = whole
        expected.replaceSubrange(10..<14, with: piece)
        #expect(node.bytes(id, 0) == expected)
        #expect(node.bytes(id, 0, "batch_index=1&offset=2&size=4") == piece)
        // Within the whole tensor; offset alone reads to the end; size alone from the start.
        #expect(node.bytes(id, 0, "offset=5&size=3") == Array(expected[5..<8]))
        #expect(node.bytes(id, 0, "offset=28") == Array(expected[28..<32]))
        #expect(node.bytes(id, 0, "size=3") == Array(expected[0..<3]))
        #expect(node.bytes(id, 0, "batch_index=3&offset=6") == Array(expected[30..<32]))
        // Empty ranges at the end are allowed.
        #expect(node.read(id, 0, "offset=32").response.status == 200)
    }

    @Test(arguments: [31, 33, 0])
    func wrongLengthIs400AndLeavesTheTensorUnchanged(length: Int) throws {
        let node = CacheNode()
        let id = try node.cacheID(Self.cache)
        let before = pattern(32, seed: 5)
        #expect(node.write(id, 0, "", before).status == 200)
        let r = node.write(id, 0, "", [UInt8](repeating: 0xEE, count: length))
        #expect(r.status == 400)
        #expect(r.errorStatus == "LLM_PARAM_INVALID")
        #expect(r.errorMessage?.contains("\(length) bytes") == true, "\(r.text)")
        #expect(node.bytes(id, 0) == before)
        let slot = node.write(id, 0, "batch_index=0", [UInt8](repeating: 0xEE, count: 9))
        #expect(slot.errorStatus == "LLM_PARAM_INVALID")
        #expect(node.bytes(id, 0) == before)
        #expect(node.pins(id) == 0)
    }

    @Test(arguments: [
        ("batch_index=4", "LLM_PARAM_INVALID"),
        ("batch_index=-1", "LLM_PARAM_INVALID"),
        ("batch_index=x", "TYPE_ERROR"),
        ("offset=33", "LLM_PARAM_INVALID"),
        ("offset=30&size=3", "LLM_PARAM_INVALID"),
        ("batch_index=1&offset=9", "LLM_PARAM_INVALID"),
        ("batch_index=1&offset=4&size=5", "LLM_PARAM_INVALID"),
        ("batch_index=1&block=1", "LLM_PARAM_INVALID"),
        ("device_id=1", "LLM_PARAM_INVALID"),
        ("slot=1", "LLM_PARAM_INVALID"),
    ])
    func outOfRangeAddressIs400(query: String, status: String) throws {
        let node = CacheNode()
        let id = try node.cacheID(Self.cache)
        let before = pattern(32, seed: 6)
        #expect(node.write(id, 0, "", before).status == 200)
        let read = node.read(id, 0, query).response
        #expect(read.status == 400, "GET ?\(query) → \(read.text)")
        #expect(read.errorStatus == status, "GET ?\(query) → \(read.text)")
        let write = node.write(id, 0, query, [1])
        #expect(write.status == 400, "PUT ?\(query) → \(write.text)")
        #expect(write.errorStatus == status, "PUT ?\(query) → \(write.text)")
        #expect(node.bytes(id, 0) == before)
        #expect(node.pins(id) == 0)
    }

    @Test func unknownCacheIs404AndBadTensorIs400() throws {
        let node = CacheNode()
        let missing = node.read(9, 0).response
        #expect(missing.status == 404)
        #expect(missing.errorStatus == "LLM_KV_CACHE_NOT_EXIST")
        #expect(node.write(9, 0, "", [1, 2]).status == 404)
        let id = try node.cacheID(Self.cache)
        for tensor in ["2", "-1", "x"] {
            let r = call(node.api, "GET", "/v1/cache/\(id)/tensors/\(tensor)")
            #expect(r.status == 400, "tensor \(tensor) → \(r.text)")
            #expect(r.errorStatus == "LLM_PARAM_INVALID", "tensor \(tensor) → \(r.text)")
            let w = call(node.api, "PUT", "/v1/cache/\(id)/tensors/\(tensor)", bytes: [UInt8](repeating: 0, count: 32))
            #expect(w.status == 400, "tensor \(tensor) → \(w.text)")
        }
        #expect(call(node.api, "GET", "/v1/cache/x/tensors/0").errorStatus == "TYPE_ERROR")
        #expect(node.pins(id) == 0)
    }

    @Test func writeWithoutContentLengthIs411() throws {
        let node = CacheNode()
        let id = try node.cacheID(Self.cache)
        let r = call(node.api, "PUT", "/v1/cache/\(id)/tensors/0")
        #expect(r.status == 411)
        #expect(r.errorStatus == "LENGTH_REQUIRED")
    }

    @Test func eachDeviceHasItsOwnCopy() throws {
        let node = CacheNode(devices: [3, 7])
        let id = try node.cacheID(Self.cache)
        let data = pattern(32, seed: 7)
        #expect(node.write(id, 1, "device_id=7", data).status == 200)
        #expect(node.bytes(id, 1, "device_id=7") == data)
        #expect(node.bytes(id, 1, "device_id=3") == [UInt8](repeating: 0, count: 32))
        // Without device_id: the first device.
        #expect(node.bytes(id, 1) == [UInt8](repeating: 0, count: 32))
        #expect(node.read(id, 1, "device_id=0").response.errorStatus == "LLM_PARAM_INVALID")
    }

    @Test func readInFlightKeepsMemoryOfADeallocatedCache() throws {
        let node = CacheNode()
        let id = try node.cacheID(Self.cache)
        let data = pattern(32, seed: 8)
        #expect(node.write(id, 0, "", data).status == 200)
        let response = call(node.api, "GET", "/v1/cache/\(id)/tensors/0")
        #expect(response.status == 200)
        #expect(node.pins(id) == 1)
        #expect(call(node.api, "DELETE", "/v1/cache/\(id)").status == 200)
        #expect(call(node.api, "GET", "/v1/cache/\(id)").status == 404)
        // The pages stay taken until the body is out; nothing can be allocated over them meanwhile.
        #expect(node.used("DEVICE") == 2048)
        #expect(response.drained() == data)
        #expect(node.used("DEVICE") == 0)
        #expect(node.pins(id) == 0)
    }
}
