import Testing

@testable import DataDistModel

/// The typed peer-transfer messages: each encodes to the bytes the protocol has always carried
/// (docs/peer-protocol.md), decodes what it encodes, and refuses garbage with a clear error.
@Suite struct PeerTransferMessageTests {
    private let dst = TransferFixture.geometry(.cache)
    private let blocks = TransferFixture.geometry(.blocks, tensors: 2, shape: [8, 32])
    private let key = CacheKey(promptClusterID: 7, reqID: 42)
    private let pull = TransferOperation.pullCache(PullCacheOptions(batchIndex: 1, size: 64))

    private func parse(_ text: String) -> JSONValue {
        guard let v = try? JSONValue.parse(Array(text.utf8)) else { fatalError("test JSON is invalid: \(text)") }
        return v
    }

    // MARK: pull request

    @Test func pullRequestEncodesTheFieldsInWireOrder() {
        let r = PullRequest(operation: pull, selector: .key(key), dstGeometry: dst, deviceCount: 1, timeoutMs: 500)
        // The literal the puller built before these types existed: the bytes must not change.
        let before: JSONValue = [
            "operation": .string(pull.wireName), "selector": .object(TransferSelector.key(key).json),
            "options": .object(pull.optionsJSON), "dst_geometry": dst.json, "device_count": JSONValue(Int64(1)),
            "timeout_ms": JSONValue(Int64(500)),
        ]
        #expect(r.json.serialized == before.serialized)
    }

    @Test func pullRequestRoundTrips() throws {
        let ops: [TransferOperation] = [
            pull, .pullBlocks(PullBlocksOptions(byBlocksKey: false, srcBlocks: [0, 3], dstBlocks: [1, 2])),
        ]
        let selectors: [TransferSelector] = [
            .key(key), .byID(CacheKeyByID(clusterID: 7, cacheID: 3, batchIndex: 1)),
            .blocks(BlocksCacheKey(promptClusterID: 7, modelID: 2)),
        ]
        for op in ops {
            for selector in selectors {
                let r = PullRequest(operation: op, selector: selector, dstGeometry: dst, deviceCount: 2, timeoutMs: 9)
                let back = try PullRequest.decode(parse(r.json.serialized), defaultTimeoutMs: 1)
                #expect(back.json.serialized == r.json.serialized)
                #expect(back.selector == selector)
                #expect(back.dstGeometry == dst)
                #expect(back.deviceCount == 2 && back.timeoutMs == 9)
            }
        }
    }

    @Test func pullRequestDefaultsItsTimeoutAndDeviceCount() throws {
        var o = PullRequest(operation: pull, selector: .key(key), dstGeometry: dst, deviceCount: 1, timeoutMs: 5).json
            .objectValue!
        o["timeout_ms"] = nil
        o["device_count"] = nil
        let r = try PullRequest.decode(.object(o), defaultTimeoutMs: 1234)
        #expect(r.timeoutMs == 1234)
        #expect(r.deviceCount == 1)
    }

    @Test func pullRequestRefusesGarbage() {
        let good = PullRequest(operation: pull, selector: .key(key), dstGeometry: dst, deviceCount: 1, timeoutMs: 5)
            .json.objectValue!
        func refused(_ edit: (inout JSONObject) -> Void) -> APIStatus? {
            var o = good
            edit(&o)
            do throws(APIError) {
                _ = try PullRequest.decode(.object(o), defaultTimeoutMs: 1)
                return nil
            } catch {
                return error.status
            }
        }
        #expect(refused { $0["bogus"] = 1 } == .LLM_PARAM_INVALID)
        #expect(refused { $0["operation"] = "push_cache" } == .LLM_PARAM_INVALID)
        #expect(refused { $0["operation"] = "rm -rf" } != nil)
        #expect(refused { $0["selector"] = nil } == .LLM_PARAM_INVALID)
        #expect(refused { $0["selector"] = ["cache_key": 5] } != nil)
        #expect(refused { $0["dst_geometry"] = nil } == .LLM_PARAM_INVALID)
        #expect(refused { $0["dst_geometry"] = "big" } != nil)
        #expect(refused { $0["timeout_ms"] = 0 } == .LLM_PARAM_INVALID)
        #expect(refused { $0["device_count"] = -1 } != nil)
        #expect(throws: APIError.self) { try PullRequest.decode([1, 2], defaultTimeoutMs: 1) }
        #expect(throws: APIError.self) { try PullRequest.decode(.null, defaultTimeoutMs: 1) }
    }

    @Test func pushPrepareRoundTripsAndRefusesAPull() throws {
        let op = TransferOperation.pushBlocks(PushBlocksOptions(srcBlocks: [0], dstBlocks: [5]))
        let selector = TransferSelector.blocks(BlocksCacheKey(promptClusterID: 7, modelID: 2))
        let p = PushPrepare(operation: op, selector: selector, srcGeometry: blocks, deviceCount: 1, timeoutMs: 77)
        let before: JSONValue = [
            "operation": .string(op.wireName), "selector": .object(selector.json), "options": .object(op.optionsJSON),
            "src_geometry": blocks.json, "device_count": JSONValue(Int64(1)), "timeout_ms": JSONValue(Int64(77)),
        ]
        #expect(p.json.serialized == before.serialized)
        let back = try PushPrepare.decode(parse(p.json.serialized), defaultTimeoutMs: 1)
        #expect(back.json.serialized == p.json.serialized)
        var asPull = p.json.objectValue!
        asPull["operation"] = .string(pull.wireName)
        #expect(throws: APIError.self) { try PushPrepare.decode(.object(asPull), defaultTimeoutMs: 1) }
        var noGeometry = p.json.objectValue!
        noGeometry["src_geometry"] = nil
        #expect(throws: APIError.paramInvalid("src_geometry is required")) {
            try PushPrepare.decode(.object(noGeometry), defaultTimeoutMs: 1)
        }
    }

    // MARK: answers from the owner

    @Test func pullPreambleRoundTripsWithAndWithoutATransferID() throws {
        for (id, progressive) in [(nil, false), ("t-1", false), ("t-2", true)] as [(String?, Bool)] {
            let p = PullPreamble(
                srcGeometry: dst,
                srcSlot: 3,
                transferID: id,
                payloadBytes: 4096,
                frameSize: 1 << 20,
                progressive: progressive
            )
            let before: JSONValue = [
                "src_geometry": dst.json, "src_slot": JSONValue(Int64(3)),
                "transfer_id": id.map { .string($0) } ?? .null,
                "payload_bytes": JSONValue(Int64(4096)), "frame_size": JSONValue(Int64(1 << 20)),
                "progressive": .bool(progressive),
            ]
            #expect(p.json.serialized == before.serialized)
            let back = try PullPreamble.decode(parse(p.json.serialized))
            #expect(back.json.serialized == p.json.serialized)
            #expect(back.transferID == id)
            #expect(back.progressive == progressive)
        }
    }

    @Test func pushPlanRoundTrips() throws {
        let p = PushPlan(transferID: "abc", dstGeometry: blocks, dstSlot: 0, payloadBytes: 10, frameSize: 65536)
        let before: JSONValue = [
            "transfer_id": "abc", "dst_geometry": blocks.json, "dst_slot": JSONValue(Int64(0)),
            "payload_bytes": JSONValue(Int64(10)), "frame_size": JSONValue(Int64(65536)),
        ]
        #expect(p.json.serialized == before.serialized)
        let back = try PushPlan.decode(parse(p.json.serialized))
        #expect(back.json.serialized == p.json.serialized)
    }

    @Test func hostileAnswersAreMalformedNotTrusted() {
        let preamble = PullPreamble(srcGeometry: dst, srcSlot: 0, transferID: nil, payloadBytes: 8, frameSize: 64).json
            .objectValue!
        let plan = PushPlan(transferID: "x", dstGeometry: dst, dstSlot: 0, payloadBytes: 8, frameSize: 64).json
            .objectValue!
        let edits: [(String, JSONValue?)] = [
            ("src_geometry", nil), ("src_geometry", "x"), ("src_slot", -1), ("src_slot", "0"), ("payload_bytes", -8),
            ("payload_bytes", .double(8.5)), ("frame_size", 0), ("frame_size", -1), ("frame_size", nil),
            ("payload_bytes", .uint(UInt64.max)),
        ]
        for (field, value) in edits {
            var o = preamble
            o[field] = value
            #expect(throws: APIError.self, "\(field)=\(String(describing: value))") {
                try PullPreamble.decode(.object(o))
            }
        }
        for (field, value) in [("transfer_id", nil), ("transfer_id", ""), ("dst_slot", -2), ("dst_geometry", 1)]
            as [(String, JSONValue?)]
        {
            var o = plan
            o[field] = value
            #expect(throws: APIError.self, "\(field)") { try PushPlan.decode(.object(o)) }
        }
        for garbage: JSONValue in [.null, "preamble", [1, 2, 3], .object([:])] {
            #expect(throws: APIError.self) { try PullPreamble.decode(garbage) }
            #expect(throws: APIError.self) { try PushPlan.decode(garbage) }
        }
        do throws(APIError) {
            _ = try PullPreamble.decode(.string("x"))
        } catch {
            #expect(error.status == .LLM_FAILED)
            #expect(error.message.contains("malformed"))
        }
    }
}
