import DataDistModel
import DataDistNode
import Dispatch
import Glibc
import Synchronization
import TestSupport
import Testing

/// Issue 12, "slow event consumers": a `/v1/events` reader that stops reading costs the node its socket buffers
/// and nothing more, never holds up other requests or streams, and is dropped — after the idle timeout while its
/// socket stays full, or as soon as it resumes once the ring no longer holds what it was not sent (it must never
/// see a silent gap).
@Suite struct SlowEventConsumerLiveTests {
    /// Allocates and frees a small cache `pairs` times: 2 × `pairs` events (`cache_allocated`, `cache_freed`).
    static func produceEvents(_ node: LiveNode, pairs: Int) throws {
        for _ in 0..<pairs {
            let id = try node.allocate(#"{"cache_desc":\#(uint8Desc(1, [1, 64]))}"#)
            #expect(node.deallocate(id) == 200)
        }
    }

    /// `datadist_event_streams` from `/metrics`.
    static func openStreams(_ node: LiveNode) -> Int? {
        guard let text = node.request("GET", "/metrics")?.text else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("datadist_event_streams ") {
            return Int(line.split(separator: " ")[1])
        }
        return nil
    }

    /// Milliseconds `GET /healthz` took, or nil when it did not answer 200.
    static func healthzMs(_ node: LiveNode) -> Double? {
        let started = ContinuousClock.now
        guard node.request("GET", "/healthz")?.status == 200 else { return nil }
        let d = ContinuousClock.now - started
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    /// Reads a keeping-up stream on a background thread until it holds `count` events (or 30 s pass).
    static func collect(_ stream: EventStreamClient, count: Int) -> (seen: () -> Int, all: () -> [UInt64]) {
        let ids = Mutex<[UInt64]>([])
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let reader = stream  // only this thread touches it until `done`
        DispatchQueue.global().async {
            let deadline = ContinuousClock.now + .seconds(30)
            while ids.withLock({ $0.count }) < count && ContinuousClock.now < deadline {
                guard let e = reader.next() else { break }
                ids.withLock { $0.append(e.id) }
            }
            done.signal()
        }
        let all = {
            _ = done.wait(timeout: .now() + 35)
            return ids.withLock { $0 }
        }
        return ({ ids.withLock { $0.count } }, all)
    }

    @Test func aReaderThatFellBehindTheRingIsEndedNeverSkipped() throws {
        let d = try LiveNode.decoder(2) { $0.eventHistory = 64 }
        let slow = try #require(StalledEventReader(port: d.port))
        #expect(slow.status == 200)
        #expect(slow.shrinkServerSendBuffer(adminPort: d.port), "the node's side of the stream was not found")
        let keeper = try #require(EventStreamClient(port: d.port))
        #expect(eventually { Self.openStreams(d) == 2 })
        let pairs = 300
        let kept = Self.collect(keeper, count: 2 * pairs + 2)

        // The slow reader reads nothing from here on; the node goes on answering at once.
        // Rounds of 30 events (the ring holds 64), each waited for by the keeping-up reader, so that reader never
        // falls behind even on a loaded machine; the stalled one falls far behind.
        var worstHealthz = 0.0
        for round in 0..<20 {
            try Self.produceEvents(d, pairs: pairs / 20)
            worstHealthz = max(worstHealthz, try #require(Self.healthzMs(d), "round \(round)"))
            #expect(eventually(within: 10) { kept.seen() >= 2 * pairs / 20 * (round + 1) })
        }
        let switched = try #require(d.switchRole(#"{"role": "MIX", "unlink": "graceful"}"#))
        #expect(switched.status == 200, "a role switch is not held up by a stalled stream: \(switched.text)")
        #expect(worstHealthz < 2000, "healthz took \(worstHealthz) ms while a stream was stalled")

        // The keeping-up stream saw every event, in order: 600 cache events, then draining and role_changed.
        let keptIDs = kept.all()
        #expect(keptIDs.count == 2 * pairs + 2)
        #expect(keptIDs == Array(1...UInt64(2 * pairs + 2)), "first \(keptIDs.first ?? 0), last \(keptIDs.last ?? 0)")

        // The stalled reader resumes: what its buffers held, with no gap, then the end of the stream.
        let (ended, got) = slow.readToEnd(seconds: 10)
        #expect(ended, "a stream that fell behind the ring must end")
        #expect(!got.isEmpty)
        #expect(got == Array(1...UInt64(max(got.count, 1))), "events arrive in order without a gap")
        #expect(got.count < 2 * pairs, "the node held no more for it than its socket buffers")
        #expect(eventually { Self.openStreams(d) == 1 })

        // Its reconnect from where it stopped learns that events were lost.
        let again = try #require(EventStreamClient(port: d.port, headers: ["Last-Event-ID: \(got.last ?? 0)"]))
        #expect(again.next()?.type == "reset")
    }

    @Test func aReaderThatStopsReadingIsDroppedAfterTheIdleTimeout() throws {
        let d = try LiveNode.decoder(2) { $0.idleTimeoutMs = 500 }
        let slow = try #require(StalledEventReader(port: d.port))
        #expect(slow.status == 200)
        #expect(slow.shrinkServerSendBuffer(adminPort: d.port))
        #expect(eventually { Self.openStreams(d) == 1 })
        // An open stream with nothing to send is not idle: the stream waits for events.
        usleep(800_000)
        #expect(Self.openStreams(d) == 1, "a waiting stream is not an idle connection")
        // ~200 bytes an event: far more than the ~16 KiB its socket buffers take.
        try Self.produceEvents(d, pairs: 200)
        #expect(eventually(within: 10) { Self.openStreams(d) == 0 }, "a full, unread stream is dropped")
        #expect(try #require(Self.healthzMs(d)) < 2000)
        let (ended, got) = slow.readToEnd(seconds: 10)
        #expect(ended)
        #expect(got == Array(1...UInt64(max(got.count, 1))), "what it did get is in order without a gap")
        #expect(got.count < 400)
    }
}

/// An event-stream reader on its own socket with a small receive buffer, that reads the response head and then
/// nothing until `readToEnd`.
final class StalledEventReader {
    let fd: Int32
    private(set) var status = 0
    private var pending: [UInt8] = []
    private let localPort: Int

    init?(port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        // Before connect, so the advertised window stays small.
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let request = Array("GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard rc == 0, let local = Self.port(of: fd, peer: false),
            request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else {
            close(fd)
            return nil
        }
        self.fd = fd
        localPort = local
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let end = Self.find([13, 10, 13, 10], in: pending) {
                let statusLine = String(decoding: pending[0..<end], as: UTF8.self).split(separator: " ")
                status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
                pending.removeFirst(end + 4)
                return
            }
            guard receive() != 0 else { break }
        }
        return nil  // deinit closes the socket
    }

    deinit { close(fd) }

    /// Makes the in-process node's side of this connection keep ~8 KiB unsent instead of autotuning up to
    /// `tcp_wmem`'s 4 MiB, so the stream stalls after a few dozen events rather than tens of thousands. The node
    /// runs in this process: its socket is the one bound to `adminPort` whose peer is this reader's port.
    func shrinkServerSendBuffer(adminPort: Int) -> Bool {
        guard let dir = opendir("/proc/self/fd") else { return false }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let candidate = Int32(name), candidate != fd,
                Self.port(of: candidate, peer: false) == adminPort, Self.port(of: candidate, peer: true) == localPort
            else { continue }
            var size: Int32 = 4096
            return setsockopt(candidate, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size)) == 0
        }
        return false
    }

    /// Reads until the node ends the stream (true) or `seconds` pass (false); the ids of the events read.
    func readToEnd(seconds: Int) -> (ended: Bool, ids: [UInt64]) {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var ended = false
        while ContinuousClock.now < deadline {
            let n = receive()
            if n == 0 {
                ended = true
                break
            }
        }
        var ids: [UInt64] = []
        for block in String(decoding: pending, as: UTF8.self).split(separator: "\n\n") {
            for line in block.split(separator: "\n") where line.hasPrefix("id: ") {
                if let id = UInt64(line.dropFirst(4)) { ids.append(id) }
            }
        }
        return (ended, ids)
    }

    /// One `recv` into `pending`: bytes read, 0 at EOF or reset, -1 on the receive timeout.
    private func receive() -> Int {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            pending.append(contentsOf: chunk[0..<n])
            return n
        }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return -1 }
        return 0
    }

    private static func find(_ marker: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= marker.count else { return nil }
        for i in 0...(bytes.count - marker.count) where bytes[i..<(i + marker.count)].elementsEqual(marker) {
            return i
        }
        return nil
    }

    /// The local (or peer) IPv4 port of socket `fd`, or nil when it is not a connected IPv4 socket.
    private static func port(of fd: Int32, peer: Bool) -> Int? {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(fd, $0, &len) : getsockname(fd, $0, &len)
            }
        }
        guard rc == 0, addr.sin_family == sa_family_t(AF_INET) else { return nil }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
