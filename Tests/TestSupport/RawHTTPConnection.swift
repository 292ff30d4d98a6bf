import CLinux
import Glibc

/// A blocking HTTP/1.1 test client over a real socket: raw bytes out, Content-Length framed responses in,
/// every read bounded by a deadline on the monotonic clock.
public final class RawHTTPConnection {
    /// A response as the client saw it.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        public var text: String { String(decoding: body, as: UTF8.self) }

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public enum Failure: Error {
        case connect(Int32)
        case send(Int32)
        case timeout
        case closed
        case malformed(String)
    }

    public let fd: Int32
    private var buffer: [UInt8] = []
    private var closed = false

    /// Connects to `host` (IPv4 or IPv6 text) : `port`.
    public init(host: String = "127.0.0.1", port: Int) throws(Failure) {
        let fd = clinux_connect(host, Int32(port))
        guard fd >= 0 else { throw .connect(clinux_errno()) }
        self.fd = fd
        // Bounds a test's own blocking `recv` on `fd` (event streams); this client's reads poll with deadlines.
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close() }

    public func close() {
        if !closed {
            closed = true
            Glibc.close(fd)
        }
    }

    /// Closes with RST (SO_LINGER 0), as a crashed client would.
    public func reset() {
        _ = clinux_set_linger_zero(fd)
        close()
    }

    public func send(_ text: String) throws(Failure) { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws(Failure) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { clinux_send(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if clinux_errno() == EINTR { continue }  // SIGCHLD from the process tests' children
                throw .send(clinux_errno())
            }
            sent += n
        }
    }

    /// Reads the next complete response (an interim `1xx` counts as one). `bodyless`: the answer to HEAD.
    public func readResponse(timeoutMs: Int = 5_000, bodyless: Bool = false) throws(Failure) -> Response {
        let deadline = clinux_monotonic_ms() + Int64(timeoutMs)
        while true {
            if let response = try takeBufferedResponse(bodyless: bodyless) { return response }
            guard try fill(deadline: deadline) else { throw .closed }
        }
    }

    /// Waits for EOF (or a reset) and returns any bytes that arrived first. Throws on timeout.
    public func readUntilClosed(timeoutMs: Int = 5_000) throws(Failure) -> [UInt8] {
        let deadline = clinux_monotonic_ms() + Int64(timeoutMs)
        while try fill(deadline: deadline) {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// True when the peer closes the connection (EOF or reset) within `timeoutMs`; bytes before it are dropped.
    public func waitForClose(timeoutMs: Int = 10_000) -> Bool {
        (try? readUntilClosed(timeoutMs: timeoutMs)) != nil
    }

    /// True when nothing arrives (and the connection stays open) for `ms` milliseconds.
    public func staysSilent(ms: Int) throws(Failure) -> Bool {
        do {
            _ = try fill(deadline: clinux_monotonic_ms() + Int64(ms))
            return false  // bytes or EOF arrived
        } catch .timeout {
            return true
        }
    }

    /// Reads once; false on EOF or reset.
    private func fill(deadline: Int64) throws(Failure) -> Bool {
        while true {
            let remaining = deadline - clinux_monotonic_ms()
            if remaining <= 0 { throw .timeout }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(remaining))
            if ready < 0 && clinux_errno() == EINTR { continue }
            if ready == 0 { throw .timeout }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && clinux_errno() == EINTR { continue }
            if n <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
    }

    private func takeBufferedResponse(bodyless: Bool) throws(Failure) -> Response? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headEnd = buffer.firstRange(of: separator)?.lowerBound else { return nil }
        let headText = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw .malformed(headText)
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed(line) }
            headers.append((name: String(line[..<colon]), value: Self.trimmed(line[line.index(after: colon)...])))
        }
        var response = Response(status: status, headers: headers, body: [])
        let length = (100..<200).contains(status) || bodyless ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
        let bodyStart = headEnd + separator.count
        guard buffer.count >= bodyStart + length else { return nil }
        response.body = Array(buffer[bodyStart..<bodyStart + length])
        buffer.removeFirst(bodyStart + length)
        return response
    }

    private static func trimmed(_ text: Substring) -> String {
        var s = text
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }

    /// One request on a fresh connection to 127.0.0.1:`port`, a JSON body when given; nil on any failure.
    public static func request(
        port: Int,
        _ method: String,
        _ path: String,
        body: String? = nil,
        headers: [String] = []
    ) -> Response? {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for h in headers { text += h + "\r\n" }
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + (body ?? "")
        return exchange(port: port, Array(text.utf8))
    }

    /// One request with a binary body (`application/octet-stream`) on a fresh connection.
    public static func request(
        port: Int,
        _ method: String,
        _ path: String,
        bytes: [UInt8],
        headers: [String] = []
    ) -> Response? {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for h in headers { head += h + "\r\n" }
        head += "Content-Type: application/octet-stream\r\nContent-Length: \(bytes.count)\r\n\r\n"
        return exchange(port: port, Array(head.utf8) + bytes)
    }

    private static func exchange(port: Int, _ bytes: [UInt8]) -> Response? {
        guard let c = try? RawHTTPConnection(port: port), (try? c.send(bytes)) != nil else { return nil }
        return try? c.readResponse(timeoutMs: 10_000)
    }
}
