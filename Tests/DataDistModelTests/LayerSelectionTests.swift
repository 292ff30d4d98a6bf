import Testing

@testable import DataDistModel

/// Layer ranges and `tensor_num_per_layer`.
@Suite struct LayerSelectionTests {
    @Test func decodesRanges() {
        #expect(outcome { try LayerRange.decode([0, 40], field: "r") } == .success(LayerRange(start: 0, stop: 40)!))
        #expect(outcome { try LayerRange.decode([1], field: "r") }.failureStatus == .TYPE_ERROR)
        #expect(outcome { try LayerRange.decode([1, 2, 3], field: "r") }.failureStatus == .TYPE_ERROR)
        #expect(outcome { try LayerRange.decode(["0", 2], field: "r") }.failureStatus == .TYPE_ERROR)
        #expect(outcome { try LayerRange.decode([0, 1.5], field: "r") }.failureStatus == .TYPE_ERROR)
        #expect(outcome { try LayerRange.decode(2, field: "r") }.failureStatus == .TYPE_ERROR)
        #expect(outcome { try LayerRange.decode([-1, 2], field: "r") }.failureStatus == .LLM_PARAM_INVALID)
        #expect(outcome { try LayerRange.decode([2, 2], field: "r") }.failureStatus == .LLM_PARAM_INVALID)
        #expect(outcome { try LayerRange.decode([3, 2], field: "r") }.failureStatus == .LLM_PARAM_INVALID)
        #expect(LayerRange(start: 0, stop: 0) == nil)
        #expect(LayerRange(start: 2, stop: 5)?.json == [2, 5])
    }

    @Test func decodesSelections() throws {
        let all = try LayerSelection.decode([:])
        #expect(all == LayerSelection(src: nil, dst: nil, tensorsPerLayer: 2))
        let s = try LayerSelection.decode([
            "src_layer_range": [0, 2], "dst_layer_range": nil, "tensor_num_per_layer": 3,
        ])
        #expect(s.src == LayerRange(start: 0, stop: 2))
        #expect(s.dst == nil)
        #expect(s.tensorsPerLayer == 3)
        // Case 66.
        #expect(outcome { try LayerSelection.decode(["tensor_num_per_layer": 0]) }.failureStatus == .LLM_PARAM_INVALID)
        #expect(outcome { try LayerSelection.decode(["tensor_num_per_layer": -1]) }.failureStatus == .VALUE_ERROR)
        #expect(outcome { try LayerSelection.decode(["tensor_num_per_layer": 1.0]) }.failureStatus == .TYPE_ERROR)
        #expect(outcome { try LayerSelection.decode(["tensor_num_per_layer": "x"]) }.failureStatus == .TYPE_ERROR)
        #expect(outcome { try LayerSelection.decode(["dst_layer_range": [1, 0]]) }.failureStatus == .LLM_PARAM_INVALID)
    }

    @Test func tensorIndices() {
        let s = LayerSelection(tensorsPerLayer: 2)
        #expect(outcome { try s.tensors(nil, numTensors: 5, side: "src") } == .success(0..<5))
        #expect(
            outcome { try s.tensors(nil, numTensors: 5, side: "src", wholeLayers: true) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(outcome { try s.tensors(LayerRange(start: 1, stop: 3), numTensors: 6, side: "src") } == .success(2..<6))
        #expect(
            outcome { try s.tensors(LayerRange(start: 1, stop: 4), numTensors: 6, side: "src") }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try s.tensors(LayerRange(start: 0, stop: 1), numTensors: 5, side: "src") }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try s.tensors(LayerRange(start: 0, stop: Int.max), numTensors: 6, side: "src") }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try LayerSelection(tensorsPerLayer: 0).tensors(nil, numTensors: 2, side: "src") }.failureStatus
                == .LLM_PARAM_INVALID
        )
    }
}
