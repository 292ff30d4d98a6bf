import Testing

@testable import DataDistModel

/// `cache_desc` decoding and derived sizes (CONTRACT §6).
@Suite struct CacheDescTests {
    private static func desc(_ members: KeyValuePairs<String, JSONValue>) -> Result<CacheDesc, APIError> {
        outcome { try CacheDesc.decode(.from(members)) }
    }

    private static func status(_ members: KeyValuePairs<String, JSONValue>) -> APIStatus? {
        if case .failure(let e) = desc(members) { return e.status }
        return nil
    }

    @Test func dataTypeSizesAndNames() {
        let sizes: [String: Int] = [
            "DT_FLOAT": 4, "DT_FLOAT16": 2, "DT_BF16": 2, "DT_INT8": 1, "DT_UINT8": 1, "DT_INT16": 2,
            "DT_UINT16": 2, "DT_INT32": 4, "DT_UINT32": 4, "DT_INT64": 8, "DT_UINT64": 8, "DT_DOUBLE": 8,
            "DT_BOOL": 1,
        ]
        #expect(DataType.allCases.count == 13)
        for t in DataType.allCases { #expect(sizes[t.rawValue] == t.size) }
        #expect(DataType(parsing: "dt_bf16") == .bf16)
        #expect(DataType(parsing: "DT_STRING") == nil)
        #expect(Placement(parsing: "host") == .host)
        #expect(Placement(parsing: "Device") == .device)
        #expect(Placement(parsing: "GPU") == nil)
    }

    @Test func decodesTheContractExample() throws {
        let d = try Self.desc([
            "num_tensors": 80, "shape": [4, 2048], "data_type": "DT_FLOAT16", "placement": "DEVICE",
            "seq_len_dim_index": -1,
        ]).get()
        #expect(d.numTensors == 80)
        #expect(d.shape == [4, 2048])
        #expect(d.dataType == .float16)
        #expect(d.placement == .device)
        #expect(d.tensorSize == 4 * 2048 * 2)
        #expect(d.batchSize == 4)
        #expect(d.numBlocks == 4)
        #expect(d.stride == 4096)
        #expect(
            d.json
                == [
                    "num_tensors": 80, "shape": [4, 2048], "data_type": "DT_FLOAT16", "placement": "DEVICE",
                    "seq_len_dim_index": -1,
                ]
        )
        #expect(outcome { try CacheDesc.decode(d.json) } == .success(d))
    }

    @Test func defaults() throws {
        let d = try Self.desc(["num_tensors": 1, "shape": [3], "data_type": "DT_INT8", "placement": "host"]).get()
        #expect(d.placement == .host)
        #expect(d.seqLenDimIndex == -1)
        let e = try Self.desc(["num_tensors": 1, "shape": [3], "data_type": "DT_INT8"]).get()
        #expect(e.placement == .device)
    }

    @Test func typeErrors() {
        #expect(outcome { try CacheDesc.decode([1, 2]) }.failureStatus == .TYPE_ERROR)
        #expect(Self.status(["shape": [2], "data_type": "DT_INT8"]) == .TYPE_ERROR)
        #expect(Self.status(["num_tensors": "1", "shape": [2], "data_type": "DT_INT8"]) == .TYPE_ERROR)
        #expect(Self.status(["num_tensors": 1.5, "shape": [2], "data_type": "DT_INT8"]) == .TYPE_ERROR)
        #expect(Self.status(["num_tensors": 1, "shape": 2, "data_type": "DT_INT8"]) == .TYPE_ERROR)
        #expect(Self.status(["num_tensors": 1, "shape": [2, "x"], "data_type": "DT_INT8"]) == .TYPE_ERROR)
        #expect(Self.status(["num_tensors": 1, "shape": [2], "data_type": 3]) == .TYPE_ERROR)
        #expect(Self.status(["num_tensors": 1, "shape": [2], "data_type": "DT_INT8", "placement": 1]) == .TYPE_ERROR)
        #expect(
            Self.status(["num_tensors": 1, "shape": [2], "data_type": "DT_INT8", "seq_len_dim_index": true])
                == .TYPE_ERROR
        )
    }

    @Test func valueErrors() {
        #expect(Self.status(["num_tensors": -1, "shape": [2, 4], "data_type": "DT_INT8"]) == .VALUE_ERROR)
        #expect(Self.status(["num_tensors": 4_294_967_296, "shape": [2], "data_type": "DT_INT8"]) == .VALUE_ERROR)
        #expect(Self.status(["num_tensors": 1, "shape": [.uint(1 << 63)], "data_type": "DT_INT8"]) == .VALUE_ERROR)
        #expect(Self.status(["num_tensors": 1, "shape": [2], "data_type": "DT_STRING"]) == .VALUE_ERROR)
        #expect(
            Self.status(["num_tensors": 1, "shape": [2], "data_type": "DT_INT8", "placement": "GPU"]) == .VALUE_ERROR
        )
    }

    @Test func paramInvalid() {
        let invalid: [KeyValuePairs<String, JSONValue>] = [
            ["num_tensors": 0, "shape": [2], "data_type": "DT_INT8"],
            ["num_tensors": 1, "shape": [2, 0], "data_type": "DT_INT8"],
            ["num_tensors": 1, "shape": [-2], "data_type": "DT_INT8"],
            ["num_tensors": 1, "shape": [], "data_type": "DT_INT8"],
            ["num_tensors": 1, "shape": .array(Array(repeating: 1, count: 32)), "data_type": "DT_INT8"],
            ["num_tensors": 1, "shape": [1_099_511_627_776, 1_073_741_824], "data_type": "DT_INT8"],
            ["num_tensors": 1, "shape": [4_611_686_018_427_387_904], "data_type": "DT_INT16"],
            ["num_tensors": 1, "shape": [2], "data_type": "DT_INT8", "seq_len_dim_index": 1],
            ["num_tensors": 1, "shape": [2], "data_type": "DT_INT8", "seq_len_dim_index": -2],
            ["num_tensors": 1, "shape": [2], "data_type": "DT_INT8", "batch_dim_index": 0],
        ]
        for members in invalid { #expect(Self.status(members) == .LLM_PARAM_INVALID, "\(members)") }
        // 31 dims is the maximum that is accepted.
        #expect(
            Self.status(["num_tensors": 1, "shape": .array(Array(repeating: 1, count: 31)), "data_type": "DT_INT8"])
                == nil
        )
        #expect(
            Self.status(["num_tensors": 1, "shape": [2, 3], "data_type": "DT_INT8", "seq_len_dim_index": 1]) == nil
        )
    }

    @Test func makeChecksDirectlyBuiltDescriptions() {
        #expect(
            outcome { try CacheDesc.make(numTensors: -1, shape: [1], dataType: .int8) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try CacheDesc.make(numTensors: 1, shape: [Int64.max], dataType: .int16) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect((try? CacheDesc.make(numTensors: 2, shape: [3, 5], dataType: .float))?.stride == 20)
    }
}

extension Result {
    /// The failure's status, nil on success.
    var failureStatus: APIStatus? {
        if case .failure(let e) = self, let api = e as? APIError { return api.status }
        return nil
    }
}
