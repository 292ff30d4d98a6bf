import KVFraming
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct FrameCorruptionTests {
    /// A random payload of `size` bytes in three regions, its encoded stream, and decoder destinations.
    private struct Fixture {
        let source: TestRegions
        let destination: TestRegions
        let stream: [UInt8]
        let frameSize: Int

        init(size: Int, frameSize: Int, generator: inout SeededGenerator) throws {
            source = TestRegions(
                sizes: randomSplit(total: size, pieces: 3, generator: &generator),
                generator: &generator
            )
            destination = TestRegions(sizes: [size], generator: &generator)
            stream = streamBySlices(
                try FrameEncoder(regions: source.sources, frameSize: frameSize),
                generator: &generator,
                maxBudget: 1 << 16
            )
            self.frameSize = frameSize
        }

        func decoder() throws -> FrameDecoder {
            try FrameDecoder(destinations: destination.buffers, payloadLength: source.bytes.count, frameSize: frameSize)
        }
    }

    @Test(arguments: [1, 7, 4096], ChunkSplit.allCases)
    func flippedBitIsReportedAtItsFrame(frameSize: Int, split: ChunkSplit) throws {
        var generator = SeededGenerator(seed: UInt64(frameSize) * 7 + 1)
        let fixture = try Fixture(size: 50_000, frameSize: frameSize, generator: &generator)
        for _ in 0..<20 {
            var stream = fixture.stream
            let position = Int.random(in: 0..<stream.count, using: &generator)
            stream[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
            let frame = position / (frameSize + FrameFormat.trailerSize)
            let inTrailer = position % (frameSize + FrameFormat.trailerSize) >= frameSize
            var decoder = try fixture.decoder()
            let results = feed(stream, to: &decoder, split: split, generator: &generator)
            #expect(results.contains(false))
            // After the first false, every later call is refused too.
            #expect(results.drop { $0 }.allSatisfy { !$0 })
            #expect(decoder.finishOutcome() == .failure(.checksumMismatch(frame: frame)), "trailer: \(inTrailer)")
            #expect(decoder.verifiedBytes == frame * frameSize)
        }
    }

    @Test(arguments: ChunkSplit.allCases)
    func truncatedStreamFailsAtFinish(split: ChunkSplit) throws {
        var generator = SeededGenerator(seed: 11)
        let fixture = try Fixture(size: 20_000, frameSize: 4096, generator: &generator)
        for cut in [1, 3, 4, 5, 4100, fixture.stream.count - 1, fixture.stream.count] {
            var decoder = try fixture.decoder()
            let kept = Array(fixture.stream.dropLast(cut))
            #expect(feed(kept, to: &decoder, split: split, generator: &generator).allSatisfy { $0 })
            #expect(
                decoder.finishOutcome() == .failure(.truncated(received: kept.count, expected: fixture.stream.count))
            )
        }
    }

    @Test(arguments: ChunkSplit.allCases)
    func extraBytesAreRefused(split: ChunkSplit) throws {
        var generator = SeededGenerator(seed: 12)
        let fixture = try Fixture(size: 20_000, frameSize: 4096, generator: &generator)
        var decoder = try fixture.decoder()
        let results = feed(fixture.stream + [0, 1, 2], to: &decoder, split: split, generator: &generator)
        #expect(results.last == false)
        #expect(decoder.finishOutcome() == .failure(.overflow(expected: fixture.stream.count)))
        // The bytes before the excess were still placed and verified.
        #expect(decoder.verifiedBytes == 20_000)
        #expect(fixture.destination.bytes == fixture.source.bytes)
    }

    @Test func garbageOfTheRightLengthFailsAtTheFirstFrame() throws {
        var generator = SeededGenerator(seed: 13)
        let fixture = try Fixture(size: 10_000, frameSize: 1000, generator: &generator)
        let garbage = (0..<fixture.stream.count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var decoder = try fixture.decoder()
        #expect(feed(garbage, to: &decoder, split: .random, generator: &generator).contains(false))
        #expect(decoder.finishOutcome() == .failure(.checksumMismatch(frame: 0)))
        #expect(decoder.verifiedBytes == 0)
    }
}
