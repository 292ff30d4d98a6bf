import Foundation
import Glibc
import Synchronization
import TLSTransport

/// An HTTPS server built from our own TLS component (TLSTransport), one connection at a time on its own
/// thread: each request is answered with `body` (Connection: close), then a TLS close_notify. Handshake
/// failures are recorded with their reason.
final class TLSTestServer: Sendable {
    let port: Int
    let body: [UInt8]
    private let listener: Int32
    private let context: TLSContext
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let failures = Mutex<[String]>([])

    init(context: TLSContext, body: [UInt8]) throws {
        (listener, port) = try bindLoopback(listen: true)
        self.context = context
        self.body = body
        Thread { [self] in acceptLoop() }.start()
    }

    /// "https://127.0.0.1:port/path"
    func url(_ path: String, host: String = "127.0.0.1") -> String { "https://\(host):\(port)\(path)" }

    /// The reasons of the handshakes this server refused so far.
    var handshakeFailures: [String] { failures.withLock { $0 } }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        finished.wait()
        close(listener)
    }

    private func acceptLoop() {
        defer { finished.signal() }
        while !stopped.load(ordering: .relaxed) {
            var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 20) == 1 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            _ = fcntl(connection, F_SETFL, fcntl(connection, F_GETFL) | O_NONBLOCK)
            serve(connection)
            close(connection)
        }
    }

    private func serve(_ fd: Int32) {
        guard let session = try? TLSSession(serverContext: context, fd: fd) else { return }
        let deadline = ContinuousClock.now + .seconds(10)
        func wait(_ readable: Bool) {
            var entry = pollfd(fd: fd, events: Int16(readable ? POLLIN : POLLOUT), revents: 0)
            _ = poll(&entry, 1, 20)
        }
        handshake: while ContinuousClock.now < deadline {
            switch session.handshake() {
            case .done: break handshake
            case .wantRead: wait(true)
            case .wantWrite: wait(false)
            case .failed(_, let reason):
                failures.withLock { $0.append(reason) }
                // Let the alert reach the client: closing with its bytes unread would reset the connection.
                Glibc.shutdown(fd, Int32(SHUT_WR))
                var scratch = [UInt8](repeating: 0, count: 4096)
                let drainUntil = ContinuousClock.now + .milliseconds(500)
                while ContinuousClock.now < drainUntil {
                    let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n == 0 || (n < 0 && errno != EAGAIN) { break }
                    if n < 0 { wait(true) }
                }
                return
            }
        }
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while ContinuousClock.now < deadline, !head.ends(with: Array("\r\n\r\n".utf8)) {
            switch buffer.withUnsafeMutableBytes({ session.read(into: $0) }) {
            case .bytes(let n): head += buffer[0..<n]
            case .wantRead: wait(true)
            case .wantWrite: wait(false)
            case .closed, .failed(_, _):
                return
            }
        }
        let header = Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
        var spans = [header, body]
        while ContinuousClock.now < deadline, let first = spans.first {
            let result = first.withUnsafeBytes { session.write($0) }
            switch result {
            case .bytes(let n):
                spans[0].removeFirst(n)
                if spans[0].isEmpty { spans.removeFirst() }
            case .wantRead: wait(true)
            case .wantWrite: wait(false)
            case .closed, .failed(_, _): return
            }
        }
        while ContinuousClock.now < deadline, session.shutdown() == .wantWrite { wait(false) }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}

/// Runs `body` on its own thread; `join()` waits for its result.
final class Background<Value: Sendable>: Sendable {
    private let result = Mutex<Value?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Value) {
        Thread { [self] in
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }.start()
    }

    func join() -> Value {
        done.wait()
        return result.withLock { $0! }
    }
}
