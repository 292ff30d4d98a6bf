import CLinux
import Glibc
import HTTPCore
import Synchronization
import TestSupport

/// A page-aligned buffer filled with a reproducible byte pattern: the "cache memory" producers stream from
/// and sinks are compared against.
/// `@unchecked Sendable`: the bytes are written only in `init` (or by one sink on the loop thread before the
/// test reads them after the handler ran) and freed in `deinit`.
final class PatternBuffer: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer

    init(count: Int, seed: UInt64 = 1) {
        bytes = .allocate(byteCount: count, alignment: 4096)
        var state = seed
        let words = bytes.bindMemory(to: UInt64.self)
        for i in 0..<count / 8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            words[i] = state ^ (state >> 29)
        }
        for i in (count / 8 * 8)..<count { bytes[i] = UInt8(truncatingIfNeeded: i) }
    }

    /// An empty (zeroed) buffer for receiving.
    init(zeroedCount count: Int) {
        bytes = .allocate(byteCount: count, alignment: 4096)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { bytes.deallocate() }

    var count: Int { bytes.count }

    /// True when the first `count` bytes of `self` and `other` are identical.
    func matches(_ other: UnsafeRawBufferPointer, count: Int) -> Bool {
        count <= bytes.count && count <= other.count && memcmp(bytes.baseAddress!, other.baseAddress!, count) == 0
    }

    var array: [UInt8] { Array(bytes) }
}

/// Streams a `PatternBuffer` in irregular region sizes and records how it was finished.
final class TestProducer: HTTPBodyProducer {
    struct State {
        var offset = 0
        var rng: UInt64
        var nextCalls = 0
        var finishCalls = 0
        var completed: Bool?
    }

    let source: PatternBuffer
    let contentLength: Int
    /// Bytes actually handed out (less or more than `contentLength` to simulate a broken producer).
    let available: Int
    private let state: Mutex<State>

    init(_ source: PatternBuffer, contentLength: Int? = nil, available: Int? = nil, seed: UInt64 = 7) {
        self.source = source
        self.contentLength = contentLength ?? source.count
        self.available = available ?? contentLength ?? source.count
        state = Mutex(State(rng: seed))
    }

    func next(maxBytes: Int, into out: inout [UnsafeRawBufferPointer]) -> Bool {
        state.withLock { state in
            state.nextCalls += 1
            var budget = max(1, maxBytes)
            while budget > 0 && state.offset < available {
                // Irregular sizes: mostly large, sometimes tiny, never aligned on purpose.
                state.rng = state.rng &* 6_364_136_223_846_793_005 &+ 1
                let roll = Int(truncatingIfNeeded: (state.rng >> 33) % 1000)
                let size = roll < 100 ? 1 + roll : 1 + roll * 1_537
                let take = min(size, budget, available - state.offset)
                out.append(UnsafeRawBufferPointer(rebasing: source.bytes[state.offset..<state.offset + take]))
                state.offset += take
                budget -= take
            }
            return state.offset < available
        }
    }

    func finish(completed: Bool) {
        state.withLock { state in
            state.finishCalls += 1
            state.completed = completed
        }
    }

    var handedOut: Int { state.withLock { $0.offset } }
    var finishCalls: Int { state.withLock { $0.finishCalls } }
    var completed: Bool? { state.withLock { $0.completed } }
}

/// Receives a body into a `PatternBuffer` (zeroed) and records how it went; refuses after `refuseAfter` bytes.
final class TestSink: HTTPBodySink {
    struct State {
        var received = 0
        var writes = 0
        var largestWrite = 0
        var overflowed = false
        var abandoned = 0
    }

    let destination: PatternBuffer
    let refuseAfter: Int?
    private let state = Mutex(State())

    init(capacity: Int, refuseAfter: Int? = nil) {
        destination = PatternBuffer(zeroedCount: capacity)
        self.refuseAfter = refuseAfter
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        state.withLock { state in
            state.writes += 1
            state.largestWrite = max(state.largestWrite, bytes.count)
            if let refuseAfter, state.received + bytes.count > refuseAfter { return false }
            guard state.received + bytes.count <= destination.count else {
                state.overflowed = true
                return false
            }
            (destination.bytes.baseAddress! + state.received).copyMemory(
                from: bytes.baseAddress!,
                byteCount: bytes.count
            )
            state.received += bytes.count
            return true
        }
    }

    func failure() -> HTTPResponse {
        .json(507, #"{"error":"sink full"}"#)
    }

    func abandon() {
        state.withLock { $0.abandoned += 1 }
    }

    var received: Int { state.withLock { $0.received } }
    var writes: Int { state.withLock { $0.writes } }
    var largestWrite: Int { state.withLock { $0.largestWrite } }
    var abandoned: Int { state.withLock { $0.abandoned } }
    var overflowed: Bool { state.withLock { $0.overflowed } }
}

/// Objects a handler created, by request target, for the test to inspect.
final class Created<Object: AnyObject & Sendable>: Sendable {
    private let objects = Mutex<[String: Object]>([:])

    func keep(_ target: String, _ object: Object) {
        objects.withLock { $0[target] = object }
    }

    subscript(_ target: String) -> Object? { objects.withLock { $0[target] } }

    var count: Int { objects.withLock { $0.count } }
}

/// A raw socket reader for large responses: reads the head without over-reading, then the body straight into
/// memory in pieces of a chosen size.
struct RawResponseReader {
    let fd: Int32
    let deadline: Int64

    init(fd: Int32, timeoutMs: Int = 30_000) {
        self.fd = fd
        self.deadline = clinux_monotonic_ms() + Int64(timeoutMs)
    }

    /// The status and Content-Length of the next response head (read one byte at a time).
    func readHead() throws -> (status: Int, contentLength: Int?) {
        var head: [UInt8] = []
        var byte: [UInt8] = [0]
        while !head.ends(with: [13, 10, 13, 10]) {
            let n = try byte.withUnsafeMutableBytes { try receive(into: $0) }
            guard n == 1 else { throw TestClientError.closed }
            head.append(byte[0])
        }
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n")
        guard let first = lines.first, first.hasPrefix("HTTP/1.1 "), let status = Int(first.dropFirst(9).prefix(3))
        else { throw TestClientError.malformed(String(decoding: head, as: UTF8.self)) }
        let length = lines.first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst(15).trimmingPrefix(" ")) }
        return (status, length)
    }

    /// Reads until `destination` is full or EOF, `piece` bytes per recv; calls `pace` with the running total
    /// after each recv. Returns the bytes read.
    func readBody(
        into destination: UnsafeMutableRawBufferPointer,
        piece: Int,
        pace: (Int) -> Void = { _ in }
    ) throws -> Int {
        var total = 0
        while total < destination.count {
            let end = min(destination.count, total + piece)
            let n = try receive(into: UnsafeMutableRawBufferPointer(rebasing: destination[total..<end]))
            if n == 0 { break }
            total += n
            pace(total)
        }
        return total
    }

    /// One recv with the deadline; 0 on EOF or reset.
    private func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let remaining = deadline - clinux_monotonic_ms()
            if remaining <= 0 { throw TestClientError.timeout }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(remaining))
            if ready < 0 && clinux_errno() == EINTR { continue }
            if ready == 0 { throw TestClientError.timeout }
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n < 0 && clinux_errno() == EINTR { continue }
            return max(n, 0)
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}

/// A broken producer: announces 1 MiB, then hands out one 2 MiB region whatever it is asked for.
final class OverlongProducer: HTTPBodyProducer {
    let source: PatternBuffer
    let finishes = Mutex<[Bool]>([])
    var contentLength: Int { 1 << 20 }

    init(_ source: PatternBuffer) { self.source = source }

    func next(maxBytes: Int, into out: inout [UnsafeRawBufferPointer]) -> Bool {
        out.append(UnsafeRawBufferPointer(rebasing: source.bytes[0..<(2 << 20)]))
        return false
    }

    func finish(completed: Bool) { finishes.withLock { $0.append(completed) } }
}
