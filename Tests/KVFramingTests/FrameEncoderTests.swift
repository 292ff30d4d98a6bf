import KVFraming
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct FrameEncoderTests {
    @Test func nextHandsOutZeroCopySlicesOfTheSourceRegions() throws {
        var generator = SeededGenerator(seed: 21)
        let source = TestRegions(sizes: [3000, 5000], generator: &generator)
        let encoder = try FrameEncoder(regions: source.sources, frameSize: 4096)
        var slices: [UnsafeRawBufferPointer] = []
        #expect(encoder.next(maxBytes: 1 << 20, into: &slices))
        #expect(encoder.next(maxBytes: 1 << 20, into: &slices) == false)
        // Frame 0 spans both regions; frame 1 is the rest of the second region.
        let base0 = UnsafeRawPointer(source.buffers[0].baseAddress!)
        let base1 = UnsafeRawPointer(source.buffers[1].baseAddress!)
        #expect(slices.map(\.count) == [3000, 1096, 4, 3904, 4])
        #expect(slices[0].baseAddress == base0)
        #expect(slices[1].baseAddress == base1)
        #expect(slices[3].baseAddress == base1 + 1096)
        let bytes = source.bytes
        let frame0 = bytes[..<4096].withUnsafeBytes { CRC32C.checksum($0) }
        #expect(slices[2].loadUnaligned(as: UInt32.self) == frame0.littleEndian)
    }

    @Test func nextRespectsTheByteBudgetAndSplitsTrailers() throws {
        var generator = SeededGenerator(seed: 22)
        let source = TestRegions(sizes: [10], generator: &generator)
        let encoder = try FrameEncoder(regions: source.sources, frameSize: 4)
        var counts: [Int] = []
        var slices: [UnsafeRawBufferPointer] = []
        while encoder.next(maxBytes: 3, into: &slices) {
            counts.append(slices.reduce(0) { $0 + $1.count })
            slices.removeAll()
        }
        // 4+4 | 4+4 | 2+4 = 22 bytes in budgets of 3.
        #expect(counts == [3, 3, 3, 3, 3, 3, 3, 1])
        #expect(encoder.isFinished)
    }

    @Test func readAndNextYieldTheSameStream() throws {
        var generator = SeededGenerator(seed: 23)
        let source = TestRegions(sizes: [100_000, 0, 1, 77_777], generator: &generator)
        for frameSize in [1, 7, 4096, 1 << 20] {
            let bySlices = streamBySlices(
                try FrameEncoder(regions: source.sources, frameSize: frameSize),
                generator: &generator,
                maxBudget: 50_000
            )
            let byReads = streamByReads(
                try FrameEncoder(regions: source.sources, frameSize: frameSize),
                generator: &generator,
                maxBuffer: 50_000
            )
            #expect(bySlices == byReads, "frame size \(frameSize)")
            #expect(byReads == referenceEncoding(source.bytes, frameSize: frameSize))
        }
    }

    @Test func rewindReplaysTheSameBytes() throws {
        var generator = SeededGenerator(seed: 24)
        let source = TestRegions(sizes: [9000, 9000], generator: &generator)
        let encoder = try FrameEncoder(regions: source.sources, frameSize: 4096)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 5000, alignment: 16)
        defer { buffer.deallocate() }
        #expect(encoder.read(into: buffer) == 5000)
        encoder.rewind()
        let full = streamByReads(encoder, generator: &generator, maxBuffer: 3000)
        #expect(full == referenceEncoding(source.bytes, frameSize: 4096))
        #expect(encoder.read(into: buffer) == 0)
        encoder.rewind()
        #expect(streamBySlices(encoder, generator: &generator, maxBudget: 3000) == full)
    }
}
