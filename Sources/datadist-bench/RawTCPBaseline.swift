import Glibc
import Synchronization

/// Baseline (a) of the large pull: one loopback TCP connection, a sender thread writing from memory with
/// large writes, a receiver thread reading into pre-faulted memory with large reads. No framing, no checksum.
enum RawTCPBaseline {
    struct Outcome {
        let seconds: Double
        /// CPU seconds of the sender and receiver threads.
        let senderCPU: Double
        let receiverCPU: Double
    }

    static let chunk = 4 << 20

    /// Moves `source` into `destination` (same size) once.
    static func transfer(_ source: PinnedBuffer, into destination: PinnedBuffer) throws(BenchError) -> Outcome {
        let (listener, port) = try Loopback.listen()
        defer { close(listener) }
        let cpu = Mutex<(Double, Double)>((0, 0))
        let failed = Mutex<String?>(nil)
        let started = monotonicSeconds()
        let receiver = BenchThread {
            let c0 = threadCPUSeconds()
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return failed.withLock { $0 = "accept failed" } }
            defer { close(fd) }
            var done = 0
            while done < destination.count {
                let n = recv(fd, destination.base + done, min(chunk, destination.count - done), 0)
                if n <= 0 { return failed.withLock { $0 = "receiver ended at \(done) bytes" } }
                done += n
            }
            cpu.withLock { $0.1 = threadCPUSeconds() - c0 }
        }
        let sender = BenchThread {
            let c0 = threadCPUSeconds()
            let fd = Loopback.connect(port: port)
            guard fd >= 0 else { return failed.withLock { $0 = "connect failed" } }
            defer { close(fd) }
            var done = 0
            while done < source.count {
                let n = send(fd, source.base + done, min(chunk, source.count - done), Int32(MSG_NOSIGNAL))
                if n <= 0 { return failed.withLock { $0 = "sender ended at \(done) bytes" } }
                done += n
            }
            cpu.withLock { $0.0 = threadCPUSeconds() - c0 }
        }
        sender.join()
        receiver.join()
        let seconds = monotonicSeconds() - started
        if let f = failed.withLock({ $0 }) { throw BenchError("raw TCP baseline: \(f)") }
        let (s, r) = cpu.withLock { $0 }
        return Outcome(seconds: seconds, senderCPU: s, receiverCPU: r)
    }
}
