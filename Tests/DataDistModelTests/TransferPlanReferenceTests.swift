import TestSupport
import Testing

@testable import DataDistModel

/// Plans against a naive byte-by-byte reference, and the cost of a large scattered plan.
@Suite struct TransferPlanReferenceTests {
    typealias T = TransferFixture

    /// The naive reference of a blocks → blocks pull: for each tensor pair, for each block pair, each
    /// byte (source address, destination address).
    private static func naive(
        srcTensors: Range<Int>,
        dstTensors: Range<Int>,
        srcBlocks: [Int],
        dstBlocks: [Int],
        stride: Int
    ) -> [(src: (Int, Int), dst: (Int, Int))] {
        var out: [(src: (Int, Int), dst: (Int, Int))] = []
        for (st, dt) in zip(srcTensors, dstTensors) {
            for (sb, db) in zip(srcBlocks, dstBlocks) {
                for b in 0..<stride { out.append(((st, sb * stride + b), (dt, db * stride + b))) }
            }
        }
        return out
    }

    @Test func shuffled4096BlockPullMatchesTheReferenceByteForByte() throws {
        var rng = SeededGenerator(seed: 42)
        let stride = 4
        let dst = T.geometry(.blocks, tensors: 4, shape: [5000, Int64(stride)])
        let src = T.geometry(.blocks, tensors: 6, shape: [4096, Int64(stride)])
        // Mostly shuffled, with some contiguous stretches so that coalescing has work on both sides.
        var srcBlocks = Array(0..<4096).shuffled(using: &rng)
        srcBlocks.replaceSubrange(100..<200, with: 1000..<1100)
        let dstBlocks = Array((0..<5000).shuffled(using: &rng).prefix(4096))
        let layers = LayerSelection(src: LayerRange(start: 1, stop: 3), dst: LayerRange(start: 0, stop: 2))
        let o = PullBlocksOptions(byBlocksKey: true, srcBlocks: srcBlocks, dstBlocks: dstBlocks, layers: layers)
        let plan = try TransferPlanner.pullBlocks(dst: dst, src: src, srcSlot: 0, options: o)
        #expect(plan.source.runs.count < 4096)
        let reference = Self.naive(
            srcTensors: 2..<6,
            dstTensors: 0..<4,
            srcBlocks: srcBlocks,
            dstBlocks: dstBlocks,
            stride: stride
        )
        let srcStream = T.stream(plan.source)
        let dstStream = T.stream(plan.destination)
        #expect(srcStream.count == reference.count)
        #expect(dstStream.count == reference.count)
        #expect(plan.totalBytes == reference.count)
        var mismatches = 0
        for i in reference.indices where srcStream[i] != reference[i].src || dstStream[i] != reference[i].dst {
            mismatches += 1
        }
        #expect(mismatches == 0)
        // And the sent description survives the trip.
        #expect(outcome { try TransferSide.decode(plan.source.json) } == .success(plan.source))
    }

    @Test func coalescingKeepsStreamOrder() throws {
        let g = T.geometry(.blocks, tensors: 1, shape: [16, 8])
        let o = PullBlocksOptions(byBlocksKey: true, srcBlocks: [0, 1, 2, 7, 8, 3], dstBlocks: [5, 4, 3, 9, 10, 11])
        let plan = try TransferPlanner.pullBlocks(dst: g, src: g, srcSlot: 0, options: o)
        #expect(
            plan.source.runs == [
                ByteRun(offset: 0, length: 24), ByteRun(offset: 56, length: 16), ByteRun(offset: 24, length: 8),
            ]
        )
        #expect(
            plan.destination.runs == [
                ByteRun(offset: 40, length: 8), ByteRun(offset: 32, length: 8), ByteRun(offset: 24, length: 8),
                ByteRun(offset: 72, length: 24),
            ]
        )
        #expect(TransferSide.coalesce([]) == [])
        #expect(TransferSide.coalesce([ByteRun(offset: 8, length: 8), ByteRun(offset: 0, length: 8)]).count == 2)
    }

    /// 4096 shuffled block pairs: planning is linear. The bound is loose for debug builds on a shared
    /// machine; release builds plan this in well under a millisecond.
    @Test func largeScatteredPlanIsFast() throws {
        var rng = SeededGenerator(seed: 7)
        let g = T.geometry(.blocks, tensors: 80, shape: [8192, 1024])
        let o = PullBlocksOptions(
            byBlocksKey: true,
            srcBlocks: Array((0..<8192).shuffled(using: &rng).prefix(4096)),
            dstBlocks: Array((0..<8192).shuffled(using: &rng).prefix(4096))
        )
        let clock = ContinuousClock()
        var best = Duration.seconds(1)
        for _ in 0..<20 {
            let start = clock.now
            let plan = outcome { try TransferPlanner.pullBlocks(dst: g, src: g, srcSlot: 0, options: o) }
            best = min(best, clock.now - start)
            #expect(plan.failureStatus == nil)
        }
        #expect(best < .milliseconds(20), "best of 20: \(best)")
    }
}
