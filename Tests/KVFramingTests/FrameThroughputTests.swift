import KVFraming
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct FrameThroughputTests {
    /// Prints the rate of framing 64 MiB through `read(into:)` and of decoding it in 512 KiB chunks (libcurl's
    /// buffer size) next to a plain memcpy of the same bytes (not asserted); asserts the round trip.
    @Test func encodeAndDecode64MiBAgainstAPlainCopy() throws {
        let size = 64 << 20
        var generator = SeededGenerator(seed: 640)
        let source = TestRegions(sizes: [size], generator: &generator)
        let destination = TestRegions(sizes: [size], generator: &generator)
        let encoder = try FrameEncoder(regions: source.sources)
        let wire = UnsafeMutableRawBufferPointer.allocate(byteCount: encoder.contentLength, alignment: 4096)
        defer { wire.deallocate() }
        wire.initializeMemory(as: UInt8.self, repeating: 0)
        let chunk = 512 << 10

        let encodeSeconds = seconds {
            var offset = 0
            while true {
                let end = min(wire.count, offset + chunk)
                let count = encoder.read(into: UnsafeMutableRawBufferPointer(rebasing: wire[offset..<end]))
                if count == 0 { break }
                offset += count
            }
        }
        var decoder = try FrameDecoder(destinations: destination.buffers, payloadLength: size)
        var accepted = true
        let decodeSeconds = seconds {
            var offset = 0
            while offset < wire.count {
                let end = min(wire.count, offset + chunk)
                accepted = decoder.consume(UnsafeRawBufferPointer(rebasing: wire[offset..<end])) && accepted
                offset = end
            }
        }
        let copySeconds = seconds {
            destination.buffers[0].copyMemory(from: UnsafeRawBufferPointer(source.buffers[0]))
        }
        func rate(_ seconds: Double) -> Double { (Double(size) / seconds / 1e7).rounded() / 100 }
        print(
            "framing 64 MiB in 512 KiB chunks: encode \(rate(encodeSeconds)) GB/s, decode \(rate(decodeSeconds)) GB/s,"
                + " plain memcpy \(rate(copySeconds)) GB/s"
        )
        #expect(accepted)
        #expect(decoder.finishOutcome() == .success(size))
        #expect(destination.buffers[0].elementsEqual(source.buffers[0]))
    }

    private func seconds(_ work: () -> Void) -> Double {
        let start = ContinuousClock.now
        work()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
