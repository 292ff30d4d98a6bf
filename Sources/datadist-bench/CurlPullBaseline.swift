import Glibc
import PeerClient

/// Baseline (b) of the large pull: nginx (sendfile from /dev/shm) → libcurl (PeerClient, 512 KiB receive
/// buffer) copying each chunk into pre-faulted memory — the best a plain HTTP file pull does here.
enum CurlPullBaseline {
    struct Outcome {
        let seconds: Double
        /// CPU seconds of the pulling thread (libcurl runs on it).
        let clientCPU: Double
    }

    /// Writes `bytes` to `name` under the nginx root.
    static func publish(_ bytes: UnsafeRawBufferPointer, as name: String, env: BenchEnvironment) throws(BenchError) {
        let path = "\(env.shmDir)/\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BenchError("cannot create \(path)") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { throw BenchError("cannot write \(path)") }
            done += n
        }
    }

    /// GETs `name` from nginx into `destination` (exactly its size); `https` with `client` (which trusts nginx's
    /// certificate).
    static func pull(
        _ name: String,
        port: Int,
        into destination: PinnedBuffer,
        env: BenchEnvironment,
        https client: PeerClient? = nil
    )
        throws(BenchError) -> Outcome
    {
        let scheme = client == nil ? "http" : "https"
        let request = PeerRequest(url: "\(scheme)://127.0.0.1:\(port)/\(name)", totalTimeoutMs: 120_000)
        var offset = 0
        let c0 = threadCPUSeconds()
        let started = monotonicSeconds()
        do {
            _ = try (client ?? env.client).perform(request, expectedLength: destination.count) { chunk in
                memcpy(destination.base + offset, chunk.baseAddress!, chunk.count)
                offset += chunk.count
                return true
            }
        } catch {
            throw BenchError("curl pull of \(name) from nginx failed: \(error)")
        }
        let seconds = monotonicSeconds() - started
        guard offset == destination.count else {
            throw BenchError("curl pull got \(offset) of \(destination.count) bytes")
        }
        return Outcome(seconds: seconds, clientCPU: threadCPUSeconds() - c0)
    }
}
