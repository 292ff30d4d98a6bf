import Glibc
import Synchronization

/// One `GET /v1/events` reader on its own socket and thread: it checks that sequence numbers arrive in order
/// without a gap and stamps the arrival of the event types it was asked to record. Parsing works on bytes
/// (64 streams × 10 000 events are ~160 MB of text), reading only the `id:` and `event:` lines.
final class EventStreamReader: Sendable {
    struct Tally: Sendable {
        var events = 0
        var bytes = 0
        var first: UInt64 = 0
        var last: UInt64 = 0
        /// Events whose id was not the previous one + 1.
        var outOfOrder = 0
        var ended = false
    }

    /// A recorded event: its type, id and arrival on the monotonic clock (seconds).
    struct Arrival: Sendable {
        var type: String
        var seq: UInt64
        var at: Double
    }

    private struct State {
        var tally = Tally()
        var arrivals: [Arrival] = []
    }

    private let fd: Int32
    private let record: Set<String>
    private let state = Mutex(State())
    private let thread = Mutex<BenchThread?>(nil)

    /// Connects, sends the request and reads the response head (it must be 200); events are read from then on.
    init(port: Int, record: Set<String> = []) throws(BenchError) {
        fd = Loopback.connect(port: port)
        guard fd >= 0 else { throw BenchError("event stream: cannot connect to 127.0.0.1:\(port)") }
        self.record = record
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else {
            close(fd)
            throw BenchError("event stream: cannot send the request")
        }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while Self.find(13, 10, 13, 10, in: buffer, from: 0) == nil {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                throw BenchError("event stream: no response head")
            }
            buffer.append(contentsOf: chunk[0..<n])
        }
        let headEnd = Self.find(13, 10, 13, 10, in: buffer, from: 0) ?? 0
        let statusLine = String(decoding: buffer[0..<headEnd], as: UTF8.self).prefix { $0 != "\r" }
        guard statusLine.split(separator: " ").dropFirst().first == "200" else {
            close(fd)
            throw BenchError("event stream: \(statusLine)")
        }
        let rest = Array(buffer[(headEnd + 4)...])
        thread.withLock { $0 = BenchThread { [self] in self.readLoop(rest) } }
    }

    var tally: Tally { state.withLock { $0.tally } }

    /// Recorded arrivals so far, in order.
    var arrivals: [Arrival] { state.withLock { $0.arrivals } }

    /// Ends the stream from this side and waits for the reader thread.
    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        let t = thread.withLock { t -> BenchThread? in
            defer { t = nil }
            return t
        }
        t?.join()
        close(fd)
    }

    private func readLoop(_ initial: [UInt8]) {
        var buffer = initial
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let consumed = parse(buffer)
            if consumed > 0 { buffer.removeFirst(consumed) }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }  // EOF, reset, stop() or 10 s without a byte (a ping comes every 15 s)
            buffer.append(contentsOf: chunk[0..<n])
            state.withLock { $0.tally.bytes += n }
        }
        state.withLock { $0.tally.ended = true }
    }

    /// Handles every complete event in `bytes`; returns how many bytes they took.
    private func parse(_ bytes: [UInt8]) -> Int {
        let now = monotonicSeconds()
        var start = 0
        var ids: [UInt64] = []
        var recorded: [Arrival] = []
        while let end = Self.find(10, 10, in: bytes, from: start) {
            var id: UInt64?
            var type: String?
            var line = start
            while line < end {
                var lineEnd = line
                while lineEnd < end && bytes[lineEnd] != 10 { lineEnd += 1 }
                if Self.hasPrefix(bytes, line, lineEnd, "id: ") {
                    var v: UInt64 = 0
                    for i in (line + 4)..<lineEnd { v = v &* 10 &+ UInt64(bytes[i] &- 48) }
                    id = v
                } else if !record.isEmpty && Self.hasPrefix(bytes, line, lineEnd, "event: ") {
                    type = String(decoding: bytes[(line + 7)..<lineEnd], as: UTF8.self)
                }
                line = lineEnd + 1
            }
            if let id {
                ids.append(id)
                if let type, record.contains(type) { recorded.append(Arrival(type: type, seq: id, at: now)) }
            }
            start = end + 2
        }
        guard !ids.isEmpty else { return start }
        state.withLock { s in
            for id in ids {
                if s.tally.events == 0 {
                    s.tally.first = id
                } else if id != s.tally.last + 1 {
                    s.tally.outOfOrder += 1
                }
                s.tally.last = id
                s.tally.events += 1
            }
            s.arrivals += recorded
        }
        return start
    }

    private static func hasPrefix(_ bytes: [UInt8], _ from: Int, _ to: Int, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard to - from >= count else { return false }
        let p = prefix.utf8Start
        for i in 0..<count where bytes[from + i] != p[i] { return false }
        return true
    }

    /// Index of the first occurrence of the byte sequence in `bytes` at or after `from`.
    private static func find(_ marker: UInt8..., in bytes: [UInt8], from: Int) -> Int? {
        guard bytes.count - from >= marker.count else { return nil }
        var i = from
        while i <= bytes.count - marker.count {
            if bytes[i] == marker[0] {
                var all = true
                for j in 1..<marker.count where bytes[i + j] != marker[j] {
                    all = false
                    break
                }
                if all { return i }
            }
            i += 1
        }
        return nil
    }
}
