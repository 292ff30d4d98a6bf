import Glibc
import HTTPCore
import Synchronization
import Testing

@testable import HTTPServer

/// When a body stream waits for its producer's wake (socket-free): only after the producer said "nothing for now".
/// A stream that merely wrote everything it had pulled — a write pass ending on its byte budget — must be polled again
/// by EPOLLOUT; waiting for a wake there hung a progressive pull whose layers were all ready until its timeout.
@Suite struct BodyStreamTests {
    /// A body of `length` bytes that may stall; hands out up to `ready` bytes, then "nothing for now".
    final class GatedProducer: HTTPBodyProducer {
        let source: PatternBuffer
        let ready: Mutex<Int>
        let offset = Mutex(0)
        init(length: Int, ready: Int) {
            source = PatternBuffer(count: length)
            self.ready = Mutex(ready)
        }
        var contentLength: Int { source.count }
        var mayStall: Bool { true }
        func next(maxBytes: Int, into out: inout [UnsafeRawBufferPointer]) -> Bool {
            let limit = ready.withLock { $0 }
            return offset.withLock { offset in
                let take = min(maxBytes, limit - offset)
                if take > 0 {
                    out.append(UnsafeRawBufferPointer(rebasing: source.bytes[offset..<offset + take]))
                    offset += take
                }
                return offset < source.count
            }
        }
        func finish(completed: Bool) {}
    }

    /// Writes everything the stream has pulled (as a socket that takes it all would).
    private func writeAllPulled(_ stream: BodyStream) {
        var iovecs = [iovec](repeating: iovec(), count: 64)
        while true {
            let (count, bytes) = iovecs.withUnsafeMutableBufferPointer {
                stream.gather(into: $0.baseAddress!, capacity: 64)
            }
            if count == 0 { return }
            _ = stream.advance(bytes)
        }
    }

    @Test func aStreamThatWroteAllItPulledFromAReadyProducerDoesNotWaitForAWake() {
        let producer = GatedProducer(length: 8 << 20, ready: 8 << 20)
        let stream = BodyStream(producer)
        #expect(stream.pull())
        writeAllPulled(stream)
        #expect(!stream.isComplete)
        #expect(!stream.awaitsProducer, "the producer has bytes ready: the next write pass must pull them")
    }

    @Test func aStreamWaitsForAWakeOnlyAfterTheProducerHadNothing() {
        let producer = GatedProducer(length: 8 << 20, ready: 1 << 20)
        let stream = BodyStream(producer)
        #expect(stream.pull())
        writeAllPulled(stream)
        #expect(stream.pull(), "nothing for now is not a broken producer")
        #expect(stream.awaitsProducer)
        // The producer has more (its wake would bring the loop back): the next pull takes it.
        producer.ready.withLock { $0 = 8 << 20 }
        #expect(stream.pull())
        #expect(!stream.awaitsProducer)
        while !stream.isComplete {
            writeAllPulled(stream)
            #expect(stream.pull())
        }
        #expect(!stream.awaitsProducer)
    }
}
