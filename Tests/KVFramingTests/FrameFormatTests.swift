import KVFraming
import Testing

@Suite(.timeLimit(.minutes(1)))
struct FrameFormatTests {
    @Test func encodedLengthAddsOneTrailerPerFrame() {
        #expect(FrameFormat.encodedLength(payload: 0, frameSize: 1 << 20) == 0)
        #expect(FrameFormat.encodedLength(payload: 1, frameSize: 1 << 20) == 5)
        #expect(FrameFormat.encodedLength(payload: 1 << 20, frameSize: 1 << 20) == (1 << 20) + 4)
        #expect(FrameFormat.encodedLength(payload: (1 << 20) + 1, frameSize: 1 << 20) == (1 << 20) + 9)
        #expect(FrameFormat.encodedLength(payload: 64 << 20, frameSize: 1 << 20) == (64 << 20) + 256)
        #expect(FrameFormat.encodedLength(payload: 10, frameSize: 1) == 50)
        #expect(FrameFormat.encodedLength(payload: 15, frameSize: 7) == 27)
        #expect(FrameFormat.frameCount(payload: 15, frameSize: 7) == 3)
        #expect(FrameFormat.defaultFrameSize == 1 << 20)
    }

    @Test func zeroPayloadIsZeroFramesAndAnEmptyStream() throws {
        let encoder = try FrameEncoder(regions: [UnsafeRawBufferPointer(start: nil, count: 0)])
        var slices: [UnsafeRawBufferPointer] = []
        #expect(encoder.contentLength == 0)
        #expect(encoder.next(maxBytes: 100, into: &slices) == false)
        #expect(slices.isEmpty)
        #expect(encoder.isFinished)
        var decoder = try FrameDecoder(destinations: [], payloadLength: 0)
        #expect(decoder.finishOutcome() == .success(0))
        let acceptedEmpty = decoder.consume(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(acceptedEmpty)
        let acceptedExtra = [UInt8](repeating: 0, count: 1).withUnsafeBytes { decoder.consume($0) }
        #expect(acceptedExtra == false)
        #expect(decoder.finishOutcome() == .failure(.overflow(expected: 0)))
    }

    @Test func invalidLayoutsAreRefusedNotTrapped() {
        #expect(throws: FrameError.invalidFrameSize(0)) { try FrameEncoder(regions: [], frameSize: 0) }
        #expect(throws: FrameError.invalidFrameSize(-5)) {
            try FrameDecoder(destinations: [], payloadLength: 0, frameSize: -5)
        }
        #expect(throws: FrameError.invalidPayloadLength(-1)) { try FrameDecoder(destinations: [], payloadLength: -1) }
        #expect(throws: FrameError.invalidPayloadLength(Int.max)) {
            try FrameDecoder(destinations: [], payloadLength: Int.max, frameSize: 1)
        }
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 10, alignment: 8)
        defer { memory.deallocate() }
        #expect(throws: FrameError.destinationTooSmall(capacity: 10, payload: 11)) {
            try FrameDecoder(destinations: [memory], payloadLength: 11)
        }
    }
}
