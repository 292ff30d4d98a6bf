import Glibc
import Synchronization

/// One kept-alive HTTP connection made inside a network namespace, timing `GET /v1/peer/hello` from the request's
/// first byte to its answer's last: the round trip of the path (a relay's added delay shows as the difference
/// against the same probe without it). Any complete answer counts; the status does not matter.
final class RoundTripProbe: Sendable {
    private let fd: Int32
    private let host: String

    init(in namespace: String, host: String, port: Int) throws(BenchError) {
        let made = Mutex<(Int32, String)>((-1, ""))
        BenchThread {
            // Only the socket has to belong to the namespace; this thread ends right after.
            if let failure = NetworkNamespace.enter(namespace) {
                made.withLock { $0 = (-1, failure) }
                return
            }
            let fd = Socket.connect(host, port)
            made.withLock { $0 = (fd, fd < 0 ? "cannot connect to \(host):\(port) from \(namespace)" : "") }
        }.join()
        let (fd, failure) = made.withLock { $0 }
        guard fd >= 0 else { throw BenchError("round-trip probe: \(failure)") }
        Socket.set(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        self.fd = fd
        self.host = host
        _ = try milliseconds()  // the first request pays for the relay's upstream connection and threads
    }

    func close() { _ = Glibc.close(fd) }

    /// One request and its whole answer (head, then Content-Length body bytes); milliseconds.
    func milliseconds() throws(BenchError) -> Double {
        let request = Array("GET /v1/peer/hello HTTP/1.1\r\nHost: \(host)\r\n\r\n".utf8)
        let started = monotonicSeconds()
        guard request.withUnsafeBytes({ Socket.sendAll(fd, $0) }) else {
            throw BenchError("round-trip probe: send to \(host) failed")
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !Self.isComplete(received) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BenchError("round-trip probe: \(host) closed the connection") }
            received += chunk[0..<n]
        }
        return (monotonicSeconds() - started) * 1000
    }

    /// True once `bytes` hold a head and as many body bytes as its Content-Length says.
    private static func isComplete(_ bytes: [UInt8]) -> Bool {
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        guard bytes.count >= 4, let headEnd = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == end })
        else { return false }
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self).lowercased()
        let length =
            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingPrefix(" ")) } ?? 0
        return bytes.count >= headEnd + 4 + length
    }
}
