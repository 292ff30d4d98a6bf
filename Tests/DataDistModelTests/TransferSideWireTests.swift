import Testing

@testable import DataDistModel

/// The sendable description of one transfer side: JSON round trip, validation, hostile input.
@Suite struct TransferSideWireTests {
    typealias T = TransferFixture

    @Test func jsonCompressesTensorsAndRoundTrips() throws {
        let side = try #require(
            TransferSide(
                tensors: [0, 1, 2, 5, 7, 8],
                runs: [ByteRun(offset: 0, length: 8), ByteRun(offset: 8, length: 8), ByteRun(offset: 32, length: 4)]
            )
        )
        #expect(side.runs == [ByteRun(offset: 0, length: 16), ByteRun(offset: 32, length: 4)])
        #expect(side.bytesPerTensor == 20)
        #expect(side.totalBytes == 120)
        #expect(side.json == ["tensors": [[0, 3], [5, 1], [7, 2]], "runs": [[0, 16], [32, 4]]])
        #expect(outcome { try TransferSide.decode(side.json) } == .success(side))
        // Through text, as it travels.
        let text = side.json.serialized
        #expect(outcome { try TransferSide.decode(try JSONValue.parse(text)) } == .success(side))
    }

    @Test func plansRoundTripAndValidateOnTheOtherSide() throws {
        let dst = T.geometry(.blocks, tensors: 4, shape: [16, 32])
        let src = T.geometry(.blocks, tensors: 4, shape: [16, 32])
        let o = PullBlocksOptions(
            byBlocksKey: true,
            srcBlocks: [3, 4, 9, 1],
            dstBlocks: [0, 1, 2, 3],
            layers: LayerSelection(src: LayerRange(start: 1, stop: 2), dst: LayerRange(start: 0, stop: 1))
        )
        let plan = try TransferPlanner.pullBlocks(dst: dst, src: src, srcSlot: 0, options: o)
        let received = try TransferSide.decode(plan.source.json)
        #expect(received == plan.source)
        #expect(outcome { try received.validate(against: src) }.failureStatus == nil)
        // A smaller cache on the other side rejects the same description.
        #expect(
            outcome { try received.validate(against: T.geometry(.blocks, tensors: 2, shape: [16, 32])) }.failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try received.validate(against: T.geometry(.blocks, tensors: 4, shape: [8, 32])) }.failureStatus
                == .LLM_PARAM_INVALID
        )
    }

    @Test func validateAgainstStoreCaches() throws {
        var store = StoreFixture.store()
        let c = try store.allocate(desc: StoreFixture.desc(2, [4, 64]), blocks: false, role: .prompt)
        #expect(
            outcome { try TransferSide(tensors: [1], runs: [ByteRun(offset: 192, length: 64)])!.validate(against: c) }
                .failureStatus
                == nil
        )
        #expect(
            outcome { try TransferSide(tensors: [1], runs: [ByteRun(offset: 193, length: 64)])!.validate(against: c) }
                .failureStatus
                == .LLM_PARAM_INVALID
        )
        #expect(
            outcome { try TransferSide(tensors: [2], runs: [ByteRun(offset: 0, length: 1)])!.validate(against: c) }
                .failureStatus
                == .LLM_PARAM_INVALID
        )
    }

    @Test func hostileDescriptionsAreParamInvalid() {
        let big = JSONValue(Int64.max)
        let hostile: [JSONValue] = [
            nil, 1, "x", [], [:],
            ["tensors": [[0, 1]]],
            ["runs": [[0, 1]]],
            ["tensors": [[0, 1]], "runs": [[0, 1]], "extra": 1],
            ["tensors": [[0, 1]], "runs": [[0, 0]]],
            ["tensors": [[0, 1]], "runs": [[-1, 4]]],
            ["tensors": [[0, 1]], "runs": [[0, -4]]],
            ["tensors": [[0, 1]], "runs": [[big, 1]]],
            ["tensors": [[0, 1]], "runs": [[1, big]]],
            ["tensors": [[0, 1]], "runs": [[0, big], [0, big]]],
            ["tensors": [[0, 1]], "runs": [[.uint(UInt64.max), 1]]],
            ["tensors": [[0, 1]], "runs": [[0.5, 1]]],
            ["tensors": [[0, 1]], "runs": [[0, 1, 2]]],
            ["tensors": [[0, 1]], "runs": [["0", 1]]],
            ["tensors": [[0, 1]], "runs": [0, 1]],
            ["tensors": [[-1, 1]], "runs": [[0, 1]]],
            ["tensors": [[0, 0]], "runs": [[0, 1]]],
            ["tensors": [[big, 2]], "runs": [[0, 1]]],
            ["tensors": [[0, big]], "runs": [[0, 1]]],
            ["tensors": [[0, 1_048_576], [0, 1]], "runs": [[0, 1]]],
            ["tensors": 3, "runs": [[0, 1]]],
            [
                "tensors": [[0, 1_048_576]],
                "runs": [
                    [0, 4_611_686_018_427_387_904], [0, 4_611_686_018_427_387_904], [0, 4_611_686_018_427_387_904],
                ],
            ],
        ]
        for value in hostile {
            #expect(outcome { try TransferSide.decode(value) }.failureStatus == .LLM_PARAM_INVALID, "\(value)")
        }
        let tooManyRuns = JSONValue.object([
            "tensors": [[0, 1]], "runs": .array(Array(repeating: [0, 1], count: TransferSide.maxRuns + 1)),
        ])
        #expect(outcome { try TransferSide.decode(tooManyRuns) }.failureStatus == .LLM_PARAM_INVALID)
        // Large but in bounds: accepted by decode, rejected by validate without trapping.
        let almostMax = JSONValue(Int64.max - 1)
        let huge: JSONValue = ["tensors": [[almostMax, 1]], "runs": [[almostMax, 1]]]
        let side = outcome { try TransferSide.decode(huge) }
        #expect(side.failureStatus == nil)
        if case .success(let s) = side {
            #expect(outcome { try s.validate(against: T.geometry(.cache)) }.failureStatus == .LLM_PARAM_INVALID)
        }
    }

    @Test func checkedInitRefusesNonsense() {
        #expect(TransferSide(tensors: [-1], runs: [ByteRun(offset: 0, length: 1)]) == nil)
        #expect(TransferSide(tensors: [0], runs: [ByteRun(offset: 0, length: 0)]) == nil)
        #expect(TransferSide(tensors: [0], runs: [ByteRun(offset: Int.max, length: 1)]) == nil)
        #expect(TransferSide(tensors: [0, 1], runs: [ByteRun(offset: 0, length: Int.max / 2 + 1)]) == nil)
        #expect(TransferSide(tensors: [], runs: [])?.totalBytes == 0)
    }
}
