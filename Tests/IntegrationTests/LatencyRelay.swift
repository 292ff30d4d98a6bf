import Foundation
import Glibc
import Synchronization

/// A TCP relay inside a network namespace that delivers every byte `delay` after it arrived, in each direction
/// (so it adds 2 × `delay` to the round-trip time without limiting the rate: a delay line, not stop-and-wait).
/// The kernel here has no `netem` qdisc, hence user space. Optionally it holds the server → client stream once,
/// at the first byte past `holdAfter` bytes of a connection, until `resume()` — a transfer caught in flight.
///
/// Each direction of each connection has a reader thread (stamps chunks with their due time) and a writer thread
/// (sends them when due). Dedicated threads, not Dispatch workers, which the nodes' callbacks need.
///
/// `@unchecked Sendable` invariant: the lets never change after init; mutable state is behind the mutex, atomics
/// and the semaphore.
final class LatencyRelay: @unchecked Sendable {
    let host: String
    let port: Int
    private let listener: Int32
    private let namespace: NetworkNamespace
    private let upstreamHost: String
    private let upstreamPort: Int
    private let delay: Duration
    private let holdAfter: Int?
    private let holdArmed = Atomic<Bool>(false)
    private let holdTriggered = Atomic<Bool>(false)
    private let holding = Atomic<Bool>(false)
    private let release = DispatchSemaphore(value: 0)
    private let forwarded = Atomic<Int>(0)
    private let sockets = Mutex<Set<Int32>>([])

    struct SetupFailure: Error { var reason: String }

    /// Listens on `host` (an address of `namespace`, port chosen by the kernel) and relays each connection to
    /// `upstreamHost:upstreamPort`, reached from the same namespace.
    init(
        in namespace: NetworkNamespace,
        host: String,
        upstreamHost: String,
        upstreamPort: Int,
        delay: Duration,
        holdAfter: Int? = nil
    ) throws {
        self.namespace = namespace
        self.host = host
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
        self.delay = delay
        self.holdAfter = holdAfter
        let (fd, port) = namespace.run { Self.listen(host) }
        guard fd >= 0 else { throw SetupFailure(reason: "cannot listen on \(host) in \(namespace.name)") }
        listener = fd
        self.port = port
        Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                relay(client)
            }
        }.start()
    }

    var address: String { "\(host):\(port)" }

    /// Bytes delivered so far, both directions, all connections.
    var bytesForwarded: Int { forwarded.load(ordering: .sequentiallyConsistent) }

    /// From now on the next server → client stream that passes `holdAfter` bytes is held there.
    func armHold() { holdArmed.store(true, ordering: .sequentiallyConsistent) }

    /// True while a stream is held.
    var isHolding: Bool { holding.load(ordering: .sequentiallyConsistent) }

    /// Lets a held stream go on.
    func resume() { release.signal() }

    /// Stops accepting and cuts every relayed connection (their threads end), letting a held stream go.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in sockets.withLock({ $0 }) { shutdown(fd, Int32(SHUT_RDWR)) }
        if isHolding { release.signal() }
    }

    deinit {
        stop()
        close(listener)
    }

    private static func address(_ host: String, _ port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(host)
        return addr
    }

    /// A listening socket on `host`:0 of the calling thread's namespace, and its port (-1 on failure).
    private static func listen(_ host: String) -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = address(host, 0)
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard fd >= 0, bound == 0, Glibc.listen(fd, 64) == 0 else {
            close(fd)
            return (-1, 0)
        }
        var len = size
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// A socket of this relay's namespace connected to the upstream (-1 when that fails).
    private func connectUpstream() -> Int32 {
        let host = upstreamHost
        let port = upstreamPort
        return namespace.run {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var addr = Self.address(host, port)
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if rc != 0 {
                close(fd)
                return -1
            }
            return fd
        }
    }

    private func relay(_ client: Int32) {
        let server = connectUpstream()
        guard server >= 0 else {
            close(client)
            return
        }
        var one: Int32 = 1
        for fd in [client, server] {
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        sockets.withLock { $0.formUnion([client, server]) }
        let done = Atomic<Int>(0)
        let finish: @Sendable () -> Void = { [self] in
            // The last of the four threads to end closes both sockets.
            if done.add(1, ordering: .sequentiallyConsistent).newValue == 4 {
                sockets.withLock { $0.subtract([client, server]) }
                close(client)
                close(server)
            }
        }
        for (from, to, towardClient) in [(client, server, false), (server, client, true)] {
            let line = DelayLine()
            Thread { [self] in
                read(from: from, into: line)
                finish()
            }.start()
            Thread { [self] in
                write(from: line, to: to, towardClient: towardClient)
                line.close()
                // Nothing more can be delivered: stop reading the other end too.
                shutdown(from, Int32(SHUT_RD))
                finish()
            }.start()
        }
    }

    private func read(from fd: Int32, into line: DelayLine) {
        while true {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            let due = ContinuousClock.now + delay
            if n <= 0 {
                line.put(due, nil)
                return
            }
            chunk.removeSubrange(n...)
            // Bounded: a writer that cannot keep up makes the reader wait, as a full socket buffer would.
            line.put(due, chunk)
        }
    }

    private func write(from line: DelayLine, to fd: Int32, towardClient: Bool) {
        var total = 0
        while let (due, chunk) = line.take() {
            let now = ContinuousClock.now
            if due > now { Thread.sleep(forTimeInterval: Self.seconds(due - now)) }
            guard let chunk else {
                shutdown(fd, Int32(SHUT_WR))
                return
            }
            var split = chunk.count
            if towardClient, let after = holdAfter, total + chunk.count > after,
                holdArmed.load(ordering: .sequentiallyConsistent),
                !holdTriggered.exchange(true, ordering: .sequentiallyConsistent)
            {
                split = max(0, after - total)
            }
            guard send(chunk[0..<split], to: fd) else { return }
            if split < chunk.count {
                holding.store(true, ordering: .sequentiallyConsistent)
                release.wait()
                holding.store(false, ordering: .sequentiallyConsistent)
                guard send(chunk[split...], to: fd) else { return }
            }
            total += chunk.count
        }
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private func send(_ bytes: ArraySlice<UInt8>, to fd: Int32) -> Bool {
        var off = bytes.startIndex
        while off < bytes.endIndex {
            let w = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if w < 0 && errno == EINTR { continue }
            if w <= 0 { return false }
            off += w
            forwarded.add(w, ordering: .sequentiallyConsistent)
        }
        return true
    }
}

/// One direction's queue of (due time, chunk); a nil chunk is the end of the stream. Holds at most 16 MiB.
///
/// `@unchecked Sendable` invariant: every field is read and written under `condition`.
private final class DelayLine: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [(ContinuousClock.Instant, [UInt8]?)] = []
    private var head = 0
    private var bytes = 0
    private var ended = false
    private var closed = false
    private static let capacity = 16 << 20

    /// The writer is gone: later chunks are dropped instead of waiting for room.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func put(_ due: ContinuousClock.Instant, _ chunk: [UInt8]?) {
        condition.lock()
        defer { condition.unlock() }
        while bytes >= Self.capacity && !closed { condition.wait() }
        if closed { return }
        items.append((due, chunk))
        bytes += chunk?.count ?? 0
        condition.broadcast()
    }

    /// The next item, waiting for one; nil after the end-of-stream item was taken.
    func take() -> (ContinuousClock.Instant, [UInt8]?)? {
        condition.lock()
        defer { condition.unlock() }
        if ended { return nil }
        while head == items.count { condition.wait() }
        let item = items[head]
        head += 1
        if head > 1024 {
            items.removeFirst(head)
            head = 0
        }
        bytes -= item.1?.count ?? 0
        if item.1 == nil { ended = true }
        condition.broadcast()
        return item
    }
}
