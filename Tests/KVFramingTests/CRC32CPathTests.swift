import CChecksum
import KVFraming
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct CRC32CPathTests {
    /// Random bytes with 64 spare bytes at the end, so slices can start at any alignment.
    private static func randomBuffer(_ count: Int, seed: UInt64) -> UnsafeMutableRawBufferPointer {
        var generator = SeededGenerator(seed: seed)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count + 64, alignment: 64)
        buffer.fillRandom(using: &generator)
        return buffer
    }

    @Test func hardwareEqualsPortableForEveryLengthUpTo4096AtRandomOffsets() {
        let buffer = Self.randomBuffer(4096, seed: 1)
        defer { buffer.deallocate() }
        var generator = SeededGenerator(seed: 2)
        var mismatches: [Int] = []
        for length in 0...4096 {
            let offset = Int.random(in: 0..<64, using: &generator)
            let start = buffer.baseAddress! + offset
            if dd_crc32c_hardware(0, start, length) != dd_crc32c_portable(0, start, length) {
                mismatches.append(length)
            }
        }
        #expect(mismatches.isEmpty)
    }

    @Test func hardwareEqualsPortableOnLongLaneSizes() {
        // Lengths around multiples of the 3 × 8 KiB and 3 × 256 B interleaved blocks, and beyond.
        let buffer = Self.randomBuffer(1 << 20, seed: 3)
        defer { buffer.deallocate() }
        var generator = SeededGenerator(seed: 4)
        var lengths = [24_576, 24_575, 24_577, 49_152, 768, 767, 769, 25_344, 1 << 20]
        lengths += (0..<200).map { _ in Int.random(in: 4097...(1 << 20), using: &generator) }
        for length in lengths {
            let offset = Int.random(in: 0..<64, using: &generator)
            let start = buffer.baseAddress! + offset
            #expect(dd_crc32c_hardware(0, start, length) == dd_crc32c_portable(0, start, length), "length \(length)")
        }
    }

    @Test func incrementalUpdatesEqualOneShotOnBothPaths() {
        let size = 200_000
        let buffer = Self.randomBuffer(size, seed: 5)
        defer { buffer.deallocate() }
        let whole = UnsafeRawBufferPointer(rebasing: buffer[..<size])
        let expected = CRC32C.checksum(whole)
        var generator = SeededGenerator(seed: 6)
        for _ in 0..<50 {
            var cuts = (0..<Int.random(in: 1...8, using: &generator)).map { _ in
                Int.random(in: 0...size, using: &generator)
            }
            cuts = [0] + cuts.sorted() + [size]
            var fast: UInt32 = 0
            var portable: UInt32 = 0
            for (start, end) in zip(cuts, cuts.dropFirst()) {
                let part = UnsafeRawBufferPointer(rebasing: whole[start..<end])
                fast = CRC32C.checksum(part, continuing: fast)
                portable = CRC32C.portableChecksum(part, continuing: portable)
            }
            #expect(fast == expected)
            #expect(portable == expected)
        }
    }

    @Test func copyingChecksumCopiesAndEqualsTheChecksum() {
        let size = 300_001
        let source = Self.randomBuffer(size, seed: 7)
        defer { source.deallocate() }
        let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 64, alignment: 64)
        defer { destination.deallocate() }
        for (sourceOffset, destinationOffset, length) in [(0, 0, size), (3, 5, size - 3), (1, 0, 100), (7, 9, 0)] {
            destination.initializeMemory(as: UInt8.self, repeating: 0)
            let from = UnsafeRawBufferPointer(rebasing: source[sourceOffset..<sourceOffset + length])
            let crc = dd_crc32c_copy(
                0x1234_5678,
                destination.baseAddress! + destinationOffset,
                from.baseAddress,
                length
            )
            #expect(crc == CRC32C.checksum(from, continuing: 0x1234_5678))
            #expect(destination[destinationOffset..<destinationOffset + length].elementsEqual(from))
        }
    }
}
