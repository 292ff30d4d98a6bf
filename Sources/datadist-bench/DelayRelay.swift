import Glibc
import Synchronization

/// A TCP relay that delivers every byte a fixed `delay` after it arrived, in each direction: a delay line, not
/// stop-and-wait, so it adds 2 × `delay` to the round-trip time without limiting the rate by itself (this kernel
/// has no `netem` qdisc). It listens in one network namespace and connects upstream from another (nil: the
/// bench's own), so with a zero delay it is also the bench's way into a namespace's loopback.
///
/// Threads and blocking sockets: one accept thread; per connection and direction a reader (stamps each chunk with
/// its due time) and a writer (sends it when due) around a bounded ring (`DelayLine`).
final class DelayRelay: Sendable {
    let host: String
    let port: Int
    private let listener: Int32
    private let acceptor: BenchThread
    private let sockets = OpenSockets()

    /// Listens on `host`:0 inside `listenNamespace` and relays each connection to `upstreamHost:upstreamPort`
    /// reached from `upstreamNamespace`. `socketBuffer`: SO_SNDBUFFORCE/SO_RCVBUFFORCE on both sockets of each
    /// connection (root may exceed net.core.*mem_max, which is not per namespace); nil leaves autotuning on.
    init(
        listenNamespace: String?,
        host: String,
        upstreamNamespace: String?,
        upstreamHost: String,
        upstreamPort: Int,
        delayNanos: Int,
        socketBuffer: Int? = nil
    ) throws(BenchError) {
        let bound = Mutex<(Int32, Int, String)>((-1, 0, ""))
        BenchThread {
            // A thread that ends right after: it never has to return to the bench's namespace.
            if let ns = listenNamespace, let failure = NetworkNamespace.enter(ns) {
                bound.withLock { $0 = (-1, 0, failure) }
                return
            }
            let result = Socket.listen(host)
            bound.withLock { $0 = result }
        }.join()
        let (fd, port, failure) = bound.withLock { $0 }
        guard fd >= 0 else { throw BenchError("delay relay: \(failure)") }
        self.host = host
        self.port = port
        listener = fd
        let sockets = self.sockets
        acceptor = BenchThread {
            // Without the upstream namespace every connection is closed at once: its client fails, not hangs.
            let entered = upstreamNamespace.map { NetworkNamespace.enter($0) == nil } ?? true
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                let server = entered ? Socket.connect(upstreamHost, upstreamPort) : -1
                guard server >= 0 else {
                    close(client)
                    continue
                }
                Self.relay(client, server, delayNanos: delayNanos, socketBuffer: socketBuffer, sockets: sockets)
            }
        }
    }

    var address: String { "\(host):\(port)" }

    /// Stops accepting and cuts every relayed connection (their threads end).
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        acceptor.join()
        close(listener)
        for fd in sockets.set.withLock({ $0 }) { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private static func relay(
        _ client: Int32,
        _ server: Int32,
        delayNanos: Int,
        socketBuffer: Int?,
        sockets: OpenSockets
    ) {
        for fd in [client, server] {
            Socket.set(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            if let size = socketBuffer {
                Socket.set(fd, SOL_SOCKET, SO_SNDBUFFORCE, Int32(size))
                Socket.set(fd, SOL_SOCKET, SO_RCVBUFFORCE, Int32(size))
            }
        }
        sockets.set.withLock { $0.formUnion([client, server]) }
        let done = Atomic<Int>(0)
        let finish: @Sendable () -> Void = {
            // The last of the four threads closes both sockets.
            if done.add(1, ordering: .sequentiallyConsistent).newValue == 4 {
                sockets.set.withLock { $0.subtract([client, server]) }
                close(client)
                close(server)
            }
        }
        for (from, to) in [(client, server), (server, client)] {
            let line = DelayLine()
            BenchThread {
                line.fill(from: from, delayNanos: delayNanos)
                finish()
            }.detach()
            BenchThread {
                line.drain(to: to)
                // Nothing more can be delivered: stop the reader too.
                shutdown(from, Int32(SHUT_RD))
                finish()
            }.detach()
        }
    }
}

/// The relayed connections' sockets, so `stop()` can cut them.
private final class OpenSockets: Sendable {
    let set = Mutex<Set<Int32>>([])
}

/// One direction of one connection: a ring of `slots` chunks, each with the monotonic time it is due. The reader
/// blocks when the ring is full, as a full socket buffer would make the sender wait.
///
/// `@unchecked Sendable` invariant: `head`, `tail`, `closed` and the slot metadata are read and written only with
/// `mutex` held; a slot's bytes belong to the reader from when it is free until `tail` passes it, then to the
/// writer until `head` passes it, so no byte is touched by both threads at once.
private final class DelayLine: @unchecked Sendable {
    private static let slots = 32
    private static let slotBytes = 256 << 10
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: slots * slotBytes, alignment: 4096)
    private var lengths = [Int](repeating: 0, count: slots)
    private var due = [timespec](repeating: timespec(), count: slots)
    private var head = 0
    private var tail = 0
    private var closed = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        changed.deallocate()
        buffer.deallocate()
    }

    /// Reads `fd` until end of stream or error, queueing each chunk due `delayNanos` later; the end is queued
    /// as an empty chunk.
    func fill(from fd: Int32, delayNanos: Int) {
        while true {
            pthread_mutex_lock(mutex)
            while tail - head == Self.slots && !closed { pthread_cond_wait(changed, mutex) }
            let stop = closed
            pthread_mutex_unlock(mutex)
            if stop { return }
            let slot = tail % Self.slots
            var n = recv(fd, buffer + slot * Self.slotBytes, Self.slotBytes, 0)
            if n < 0 && errno == EINTR { continue }
            n = max(n, 0)
            var when = timespec()
            clock_gettime(CLOCK_MONOTONIC, &when)
            let nanos = when.tv_nsec + delayNanos
            when.tv_sec += nanos / 1_000_000_000
            when.tv_nsec = nanos % 1_000_000_000
            pthread_mutex_lock(mutex)
            lengths[slot] = n
            due[slot] = when
            tail += 1
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
            if n == 0 { return }
        }
    }

    /// Sends each queued chunk to `fd` when it is due; at the end of the stream half-closes `fd`. On a send
    /// failure the line closes, so the reader stops waiting for room.
    func drain(to fd: Int32) {
        while true {
            pthread_mutex_lock(mutex)
            while tail == head { pthread_cond_wait(changed, mutex) }
            let slot = head % Self.slots
            let n = lengths[slot]
            var when = due[slot]
            pthread_mutex_unlock(mutex)
            while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &when, nil) == EINTR {}
            if n == 0 {
                shutdown(fd, Int32(SHUT_WR))
                return
            }
            let sent = Socket.sendAll(fd, UnsafeRawBufferPointer(start: buffer + slot * Self.slotBytes, count: n))
            pthread_mutex_lock(mutex)
            head += 1
            if !sent { closed = true }
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
            if !sent { return }
        }
    }
}
