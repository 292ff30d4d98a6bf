import CChecksum
import KVFraming
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct CRC32CThroughputTests {
    /// Prints rough throughput of each path on 64 MiB (not asserted: machines differ, debug builds are
    /// slower); asserts the paths agree on the whole buffer.
    @Test func throughputOf64MiBOnEachPath() {
        let size = 64 << 20
        var generator = SeededGenerator(seed: 64)
        let source = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { source.deallocate() }
        source.fillRandom(using: &generator)
        let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { destination.deallocate() }
        destination.initializeMemory(as: UInt8.self, repeating: 0)
        let base = UnsafeRawPointer(source.baseAddress!)

        let (hardware, hardwareSeconds) = bestOf3 { dd_crc32c_hardware(0, base, size) }
        let (portable, portableSeconds) = bestOf3 { dd_crc32c_portable(0, base, size) }
        let (copied, copySeconds) = bestOf3 { dd_crc32c_copy(0, destination.baseAddress, base, size) }
        func rate(_ seconds: Double) -> String {
            let gigabytesPerSecond = Double(size) / seconds / 1e9
            return "\((gigabytesPerSecond * 100).rounded() / 100) GB/s"
        }
        print(
            "CRC32C 64 MiB: hardware \(rate(hardwareSeconds)), portable \(rate(portableSeconds)),"
                + " checksum+copy \(rate(copySeconds)) (hardware available: \(CRC32C.isHardwareAccelerated))"
        )
        #expect(hardware == portable)
        #expect(copied == portable)
        #expect(destination.elementsEqual(source))
    }

    private func bestOf3(_ work: () -> UInt32) -> (UInt32, Double) {
        var best = Double.infinity
        var result: UInt32 = 0
        for _ in 0..<3 {
            let start = ContinuousClock.now
            result = work()
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            best = min(best, seconds)
        }
        return (result, best)
    }
}
