import KVFraming
import TestSupport
import Testing

/// A source layout the round trip is run on.
enum RegionLayout: CaseIterable, Sendable {
    /// Hundreds of small regions, some empty.
    case manySmall
    /// One region of a few MiB.
    case oneHuge
    /// Only empty regions: an empty payload.
    case allEmpty
    /// Small, large and empty regions mixed.
    case mixed

    func sizes(generator: inout SeededGenerator) -> [Int] {
        switch self {
        case .manySmall: (0..<400).map { _ in Int.random(in: 0...120, using: &generator) }
        case .oneHuge: [(3 << 20) + 17]
        case .allEmpty: [0, 0, 0]
        case .mixed: [0, 5000, 1, 0, 70_001, 3, 0, 130_000, 0]
        }
    }
}

@Suite(.timeLimit(.minutes(2)))
struct FrameRoundTripTests {
    static let frameSizes = [1, 7, 4096, 1 << 20]

    @Test(arguments: RegionLayout.allCases, frameSizes)
    func encodedStreamMatchesTheReferenceAndRoundTrips(layout: RegionLayout, frameSize: Int) throws {
        var generator = SeededGenerator(
            seed: UInt64(frameSize) &* 31 &+ UInt64(RegionLayout.allCases.firstIndex(of: layout)!)
        )
        let source = TestRegions(sizes: layout.sizes(generator: &generator), generator: &generator)
        let payload = source.bytes
        let reference = referenceEncoding(payload, frameSize: frameSize)

        let encoder = try FrameEncoder(regions: source.sources, frameSize: frameSize)
        #expect(encoder.payloadLength == payload.count)
        #expect(encoder.contentLength == FrameFormat.encodedLength(payload: payload.count, frameSize: frameSize))
        let sliced = streamBySlices(encoder, generator: &generator, maxBudget: 700_000)
        #expect(sliced.count == encoder.contentLength)
        #expect(sliced == reference)
        let pulled = streamByReads(
            try FrameEncoder(regions: source.sources, frameSize: frameSize),
            generator: &generator,
            maxBuffer: 600_000
        )
        #expect(pulled == reference)

        for split in ChunkSplit.allCases {
            // One byte at a time over megabytes is slow in debug builds and proves nothing more.
            if split == .oneByte, reference.count > 300_000 { continue }
            let destination = TestRegions(
                sizes: randomSplit(total: payload.count, pieces: 5, generator: &generator),
                generator: &generator
            )
            var decoder = try FrameDecoder(
                destinations: destination.buffers,
                payloadLength: payload.count,
                frameSize: frameSize
            )
            #expect(decoder.encodedLength == reference.count)
            let results = feed(reference, to: &decoder, split: split, generator: &generator)
            #expect(results.allSatisfy { $0 }, "\(split)")
            #expect(decoder.finishOutcome() == .success(payload.count), "\(split)")
            #expect(destination.bytes == payload, "\(split)")
        }
    }

    @Test func payloadIsScatteredInOrderAndSpareCapacityIsUntouched() throws {
        var generator = SeededGenerator(seed: 99)
        let source = TestRegions(sizes: [10_000, 0, 20_000], generator: &generator)
        let destination = TestRegions(sizes: [0, 7_000, 13_000, 0, 15_000], generator: &generator)
        let spare = Array(destination.buffers[4][(30_000 - 20_000)...])
        let encoder = try FrameEncoder(regions: source.sources, frameSize: 4096)
        var decoder = try FrameDecoder(destinations: destination.buffers, payloadLength: 30_000, frameSize: 4096)
        let stream = streamBySlices(encoder, generator: &generator, maxBudget: 9000)
        #expect(feed(stream, to: &decoder, split: .random, generator: &generator).allSatisfy { $0 })
        #expect(decoder.finishOutcome() == .success(30_000))
        #expect(decoder.verifiedBytes == 30_000)
        #expect(Array(destination.bytes.prefix(30_000)) == source.bytes)
        #expect(Array(destination.buffers[4][(30_000 - 20_000)...]) == spare)
    }
}
