import DataDistModel
import HTTPCore
import Testing

@testable import DataDistNode

/// `POST /v1/cache/{id}/copy`, `/copy_blocks` and `/v1/cache/swap_blocks` (CONTRACT §6), with the bytes
/// checked through tensor reads.
@Suite struct CacheCopyTests {
    /// A node with two normal caches of 2 tensors × 2 slots × 16 bytes; the first filled with patterns.
    static func twoCaches() throws -> (CacheNode, src: Int64, dst: Int64, [[UInt8]]) {
        let node = CacheNode()
        let src = try node.cacheID(#"{"cache_desc":\#(desc(2, [2, 16]))}"#)
        let dst = try node.cacheID(#"{"cache_desc":\#(desc(2, [2, 16]))}"#)
        let data = [pattern(32, seed: 10), pattern(32, seed: 20)]
        for t in 0..<2 { #expect(node.write(src, t, "", data[t]).status == 200) }
        return (node, src, dst, data)
    }

    @Test func copyCacheCopiesOneSlotOfEveryTensor() throws {
        let (node, src, dst, data) = try Self.twoCaches()
        let r = call(
            node.api,
            "POST",
            "/v1/cache/\(dst)/copy",
            body: #"{"src_cache_id":\#(src),"src_batch_index":1,"dst_batch_index":0}"#
        )
        #expect(r.status == 200, "\(r.text)")
        #expect(r.text == #"{"status":"LLM_SUCCESS","code":0,"bytes":32}"#)
        for t in 0..<2 {
            #expect(node.bytes(dst, t) == Array(data[t][16..<32]) + [UInt8](repeating: 0, count: 16))
            #expect(node.bytes(src, t) == data[t])
        }
        #expect(node.pins(src) == 0)
        #expect(node.pins(dst) == 0)
    }

    @Test func copyCacheWithOffsetAndSize() throws {
        let (node, src, dst, data) = try Self.twoCaches()
        let r = call(
            node.api,
            "POST",
            "/v1/cache/\(dst)/copy",
            body: #"{"src_cache_id":\#(src),"dst_batch_index":1,"offset":4,"size":8}"#
        )
        #expect(r.text == #"{"status":"LLM_SUCCESS","code":0,"bytes":16}"#)
        for t in 0..<2 {
            var expected = [UInt8](repeating: 0, count: 32)
            expected.replaceSubrange(20..<28, with: data[t][4..<12])
            #expect(node.bytes(dst, t) == expected)
        }
        // Offset alone: the rest of the source slot.
        let rest = call(node.api, "POST", "/v1/cache/\(dst)/copy", body: #"{"src_cache_id":\#(src),"offset":12}"#)
        #expect(rest.text == #"{"status":"LLM_SUCCESS","code":0,"bytes":8}"#)
        #expect(Array(node.bytes(dst, 1)[0..<16]) == [UInt8](repeating: 0, count: 12) + Array(data[1][12..<16]))
    }

    @Test func copiesRunOnEveryDevice() throws {
        let node = CacheNode(devices: [3, 7])
        let src = try node.cacheID(#"{"cache_desc":\#(desc(2, [2, 16]))}"#)
        let dst = try node.cacheID(#"{"cache_desc":\#(desc(2, [2, 16]))}"#)
        let onDevice = [3: pattern(32, seed: 11), 7: pattern(32, seed: 12)]
        for (device, data) in onDevice {
            for t in 0..<2 { #expect(node.write(src, t, "device_id=\(device)", data).status == 200) }
        }
        let r = call(node.api, "POST", "/v1/cache/\(dst)/copy", body: #"{"src_cache_id":\#(src)}"#)
        #expect(r.text == #"{"status":"LLM_SUCCESS","code":0,"bytes":64}"#)
        for (device, data) in onDevice {
            for t in 0..<2 {
                #expect(
                    node.bytes(dst, t, "device_id=\(device)") == Array(data[0..<16]) + [UInt8](repeating: 0, count: 16)
                )
            }
        }
    }

    @Test func copyCacheRefusals() throws {
        let (node, src, dst, data) = try Self.twoCaches()
        let three = try node.cacheID(#"{"cache_desc":\#(desc(3, [2, 16]))}"#)
        let blocks = try node.cacheID(#"{"cache_desc":\#(desc(2, [2, 16])),"blocks":true}"#)
        let cases: [(target: Int64, body: String, http: Int, status: String)] = [
            (dst, #"{"src_cache_id":99}"#, 404, "LLM_KV_CACHE_NOT_EXIST"),
            (99, #"{"src_cache_id":\#(src)}"#, 404, "LLM_KV_CACHE_NOT_EXIST"),
            (three, #"{"src_cache_id":\#(src)}"#, 400, "LLM_PARAM_INVALID"),
            (blocks, #"{"src_cache_id":\#(src)}"#, 400, "LLM_PARAM_INVALID"),
            (dst, #"{"src_cache_id":\#(src),"src_batch_index":2}"#, 400, "LLM_PARAM_INVALID"),
            (dst, #"{"src_cache_id":\#(src),"dst_batch_index":2}"#, 400, "LLM_PARAM_INVALID"),
            (dst, #"{"src_cache_id":\#(src),"offset":16}"#, 400, "LLM_PARAM_INVALID"),
            (dst, #"{"src_cache_id":\#(src),"offset":8,"size":9}"#, 400, "LLM_PARAM_INVALID"),
            (dst, #"{"src_cache_id":\#(src),"size":0}"#, 400, "LLM_PARAM_INVALID"),
            (dst, #"{"src_cache_id":\#(src),"other":0}"#, 400, "LLM_PARAM_INVALID"),
            (dst, #"{"src_cache_id":"1"}"#, 400, "TYPE_ERROR"),
            (dst, #"{}"#, 400, "TYPE_ERROR"),
            (dst, #"{"src_cache_id":\#(src),"offset":-1}"#, 400, "VALUE_ERROR"),
        ]
        for c in cases {
            let r = call(node.api, "POST", "/v1/cache/\(c.target)/copy", body: c.body)
            #expect(r.status == c.http, "\(c.target) \(c.body) → \(r.text)")
            #expect(r.errorStatus == c.status, "\(c.target) \(c.body) → \(r.text)")
        }
        #expect(node.bytes(dst, 0) == [UInt8](repeating: 0, count: 32))
        #expect(node.bytes(src, 0) == data[0])
        for id in [src, dst, three, blocks] { #expect(node.pins(id) == 0) }
    }

    @Test func copyBlocksCopiesOneBlockToMany() throws {
        let node = CacheNode()
        let id = try node.cacheID(#"{"cache_desc":\#(desc(2, [4, 8])),"blocks":true}"#)
        let blocks = [pattern(8, seed: 30), pattern(8, seed: 40)]
        for t in 0..<2 { #expect(node.write(id, t, "block=0", blocks[t]).status == 200) }
        let r = call(node.api, "POST", "/v1/cache/\(id)/copy_blocks", body: #"{"mapping":{"0":[1,3]}}"#)
        #expect(r.status == 200, "\(r.text)")
        #expect(r.text == #"{"status":"LLM_SUCCESS","code":0,"bytes":32}"#)
        let zero = [UInt8](repeating: 0, count: 8)
        for t in 0..<2 {
            #expect(node.bytes(id, t) == blocks[t] + blocks[t] + zero + blocks[t])
        }
        #expect(node.pins(id) == 0)
    }

    @Test func copyBlocksRefusals() throws {
        let node = CacheNode()
        let id = try node.cacheID(#"{"cache_desc":\#(desc(2, [4, 8])),"blocks":true}"#)
        let normal = try node.cacheID(#"{"cache_desc":\#(desc(2, [4, 8]))}"#)
        let cases: [(target: Int64, body: String, http: Int, status: String)] = [
            (id, #"{"mapping":{"0":[4]}}"#, 400, "LLM_PARAM_INVALID"),
            (id, #"{"mapping":{"4":[0]}}"#, 400, "LLM_PARAM_INVALID"),
            (normal, #"{"mapping":{"0":[1]}}"#, 400, "LLM_PARAM_INVALID"),
            (99, #"{"mapping":{"0":[1]}}"#, 404, "LLM_KV_CACHE_NOT_EXIST"),
            (id, #"{"mapping":{"x":[1]}}"#, 400, "TYPE_ERROR"),
            (id, #"{"mapping":{"0":1}}"#, 400, "TYPE_ERROR"),
            (id, #"{"mapping":[]}"#, 400, "TYPE_ERROR"),
            (id, #"{}"#, 400, "TYPE_ERROR"),
            (id, #"{"mapping":{"0":[-1]}}"#, 400, "VALUE_ERROR"),
        ]
        for c in cases {
            let r = call(node.api, "POST", "/v1/cache/\(c.target)/copy_blocks", body: c.body)
            #expect(r.status == c.http, "\(c.target) \(c.body) → \(r.text)")
            #expect(r.errorStatus == c.status, "\(c.target) \(c.body) → \(r.text)")
        }
        #expect(node.pins(id) == 0)
        #expect(node.pins(normal) == 0)
    }

    @Test func swapBlocksHostToDeviceAndBack() throws {
        let node = CacheNode()
        let host = try node.cacheID(#"{"cache_desc":\#(desc(2, [4, 8], placement: "HOST")),"blocks":true}"#)
        let device = try node.cacheID(#"{"cache_desc":\#(desc(2, [2, 8])),"blocks":true}"#)
        let data = [pattern(32, seed: 50), pattern(32, seed: 60)]
        for t in 0..<2 { #expect(node.write(host, t, "", data[t]).status == 200) }
        let swapIn = call(
            node.api,
            "POST",
            "/v1/cache/swap_blocks",
            body: #"{"src_cache_id":\#(host),"dst_cache_id":\#(device),"src_to_dst":{"3":0,"1":1}}"#
        )
        #expect(swapIn.status == 200, "\(swapIn.text)")
        #expect(swapIn.text == #"{"status":"LLM_SUCCESS","code":0,"bytes":32}"#)
        for t in 0..<2 {
            #expect(node.bytes(device, t) == Array(data[t][24..<32]) + Array(data[t][8..<16]))
        }
        // DEVICE → HOST: device block 0 (host block 3's bytes) out to host block 0.
        let swapOut = call(
            node.api,
            "POST",
            "/v1/cache/swap_blocks",
            body: #"{"src_cache_id":\#(device),"dst_cache_id":\#(host),"src_to_dst":{"0":0}}"#
        )
        #expect(swapOut.status == 200, "\(swapOut.text)")
        for t in 0..<2 {
            #expect(node.bytes(host, t) == Array(data[t][24..<32]) + Array(data[t][8..<32]))
        }
        #expect(node.pins(host) == 0)
        #expect(node.pins(device) == 0)
    }

    @Test func swapBlocksRefusals() throws {
        let node = CacheNode()
        let host = try node.cacheID(#"{"cache_desc":\#(desc(2, [4, 8], placement: "HOST")),"blocks":true}"#)
        let deviceA = try node.cacheID(#"{"cache_desc":\#(desc(2, [4, 8])),"blocks":true}"#)
        let deviceB = try node.cacheID(#"{"cache_desc":\#(desc(2, [4, 8])),"blocks":true}"#)
        let wide = try node.cacheID(#"{"cache_desc":\#(desc(2, [4, 16])),"blocks":true}"#)
        let normal = try node.cacheID(#"{"cache_desc":\#(desc(2, [4, 8]))}"#)
        #expect(node.write(deviceA, 0, "", pattern(32, seed: 70)).status == 200)
        let cases: [(body: String, http: Int, status: String)] = [
            (
                #"{"src_cache_id":\#(deviceA),"dst_cache_id":\#(deviceB),"src_to_dst":{"0":0}}"#, 400,
                "LLM_PARAM_INVALID"
            ),
            (#"{"src_cache_id":\#(host),"dst_cache_id":\#(host),"src_to_dst":{"0":1}}"#, 400, "LLM_PARAM_INVALID"),
            (#"{"src_cache_id":\#(host),"dst_cache_id":\#(wide),"src_to_dst":{"0":0}}"#, 400, "LLM_PARAM_INVALID"),
            (#"{"src_cache_id":\#(host),"dst_cache_id":\#(normal),"src_to_dst":{"0":0}}"#, 400, "LLM_PARAM_INVALID"),
            (#"{"src_cache_id":\#(host),"dst_cache_id":\#(deviceA),"src_to_dst":{"4":0}}"#, 400, "LLM_PARAM_INVALID"),
            (#"{"src_cache_id":\#(host),"dst_cache_id":\#(deviceA),"src_to_dst":{"0":4}}"#, 400, "LLM_PARAM_INVALID"),
            (#"{"src_cache_id":99,"dst_cache_id":\#(deviceA),"src_to_dst":{"0":0}}"#, 404, "LLM_KV_CACHE_NOT_EXIST"),
            (#"{"src_cache_id":\#(host),"dst_cache_id":99,"src_to_dst":{"0":0}}"#, 404, "LLM_KV_CACHE_NOT_EXIST"),
            (#"{"src_cache_id":\#(host),"dst_cache_id":\#(deviceA),"src_to_dst":{"0":[0]}}"#, 400, "TYPE_ERROR"),
            (#"{"src_cache_id":\#(host),"dst_cache_id":\#(deviceA)}"#, 400, "TYPE_ERROR"),
        ]
        for c in cases {
            let r = call(node.api, "POST", "/v1/cache/swap_blocks", body: c.body)
            #expect(r.status == c.http, "\(c.body) → \(r.text)")
            #expect(r.errorStatus == c.status, "\(c.body) → \(r.text)")
        }
        #expect(node.bytes(deviceA, 0) == pattern(32, seed: 70))
        #expect(node.bytes(deviceB, 0) == [UInt8](repeating: 0, count: 32))
        for id in [host, deviceA, deviceB, wide, normal] { #expect(node.pins(id) == 0) }
    }
}
