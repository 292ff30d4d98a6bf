import CLinux
import Glibc

/// A parsed response as the test client saw it.
struct TestResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
    var text: String { String(decoding: body, as: UTF8.self) }
}

enum TestClientError: Error {
    case connect(Int32)
    case send(Int32)
    case timeout
    case closed
    case malformed(String)
}

/// A blocking HTTP test client over POSIX sockets: raw bytes out, responses in, with deadlines.
final class TestClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var closed = false

    init(host: String = "127.0.0.1", port: Int) throws {
        let fd = clinux_connect(host, Int32(port))
        guard fd >= 0 else { throw TestClientError.connect(clinux_errno()) }
        self.fd = fd
    }

    deinit { close() }

    func close() {
        if !closed {
            closed = true
            Glibc.close(fd)
        }
    }

    /// Closes with RST (SO_LINGER 0), as a crashed client would.
    func reset() {
        _ = clinux_set_linger_zero(fd)
        close()
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { clinux_send(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if clinux_errno() == EINTR { continue }
                throw TestClientError.send(clinux_errno())
            }
            sent += n
        }
    }

    /// Reads the next complete response (an interim `100` counts as one). `bodyless`: the answer to HEAD.
    func readResponse(timeoutMs: Int = 5_000, bodyless: Bool = false) throws -> TestResponse {
        let deadline = clinux_monotonic_ms() + Int64(timeoutMs)
        while true {
            if let response = try takeBufferedResponse(bodyless: bodyless) { return response }
            guard try fill(deadline: deadline) else { throw TestClientError.closed }
        }
    }

    /// Waits for EOF (or a reset) and returns any bytes that arrived first. Throws on timeout.
    func readUntilClosed(timeoutMs: Int = 5_000) throws -> [UInt8] {
        let deadline = clinux_monotonic_ms() + Int64(timeoutMs)
        while try fill(deadline: deadline) {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// True when nothing arrives (and the connection stays open) for `ms` milliseconds.
    func staysSilent(ms: Int) throws -> Bool {
        do {
            _ = try fill(deadline: clinux_monotonic_ms() + Int64(ms))
            return false  // bytes or EOF arrived
        } catch TestClientError.timeout {
            return true
        }
    }

    /// Reads once; false on EOF or reset.
    private func fill(deadline: Int64) throws -> Bool {
        while true {
            let remaining = deadline - clinux_monotonic_ms()
            if remaining <= 0 { throw TestClientError.timeout }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(remaining))
            if ready < 0 && clinux_errno() == EINTR { continue }
            if ready == 0 { throw TestClientError.timeout }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && clinux_errno() == EINTR { continue }
            if n <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
    }

    private func takeBufferedResponse(bodyless: Bool) throws -> TestResponse? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headEnd = buffer.firstRange(of: separator)?.lowerBound else { return nil }
        let headText = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw TestClientError.malformed(headText)
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw TestClientError.malformed(line) }
            let value = line[line.index(after: colon)...].trimmingPrefix(" ")
            headers.append((name: String(line[..<colon]), value: String(value)))
        }
        var response = TestResponse(status: status, headers: headers, body: [])
        let length = status == 100 || bodyless ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
        let bodyStart = headEnd + separator.count
        guard buffer.count >= bodyStart + length else { return nil }
        response.body = Array(buffer[bodyStart..<bodyStart + length])
        buffer.removeFirst(bodyStart + length)
        return response
    }
}
