import CLinux
import Glibc
import HTTPCore
import Logging
import Synchronization

/// The epoll loop of one server: accepts, reads, parses, calls the handler, writes, enforces timeouts.
///
/// Level-triggered epoll: each ready connection gets one read per wake-up (64 KiB for a head, the whole
/// read buffer for a body) and one bounded write pass, so a fast peer cannot starve the others; and a
/// connection that must not be read (request in flight) simply drops EPOLLIN from its interest set instead
/// of having to be drained to EAGAIN.
///
/// `@unchecked Sendable`: every `var` is touched only on the loop thread (or before the thread starts);
/// other threads reach the loop only through `inbox` (a mutex) and `stats` / `loopThread` (atomics).
final class EventLoop: @unchecked Sendable {
    static let listenerToken = UInt64.max
    static let wakeToken = UInt64.max - 1
    /// One read for a request head.
    static let headReadSize = 64 * 1024
    /// Bytes written to one connection per pass before the loop turns to the others.
    static let writeBudget = 8 << 20
    static let maxEvents = 256
    static let maxLingerBytes = 1024 * 1024

    let configuration: HTTPServerConfiguration
    let handler: any HTTPHandler
    let stats: ServerStats
    let epollFD: Int32
    let wakeFD: Int32
    /// Position among the server's loops (thread names); loop 0 accepts for all.
    let index: Int
    /// The listening socket on the acceptor loop; -1 on the others and once stopped.
    var listenFD: Int32
    /// Every loop of the server, the acceptor's own included; set on the acceptor before the threads start and
    /// only read by its thread after.
    var group: [EventLoop] = []
    /// The loop the acceptor hands the next connection to.
    var nextInGroup = 0
    let inbox = Mutex(ResponseInbox())
    /// pthread id of the running loop thread, 0 when not running.
    let loopThread = Atomic<UInt64>(0)

    let timeouts: ConnectionStateMachine.Timeouts
    let clock: MonotonicClock
    /// Where what the loop would otherwise swallow is said (failed accept, epoll_ctl, write); nil: nowhere.
    let logger: Logger?
    let tickMs: Int64
    let readBuffer: UnsafeMutableRawBufferPointer
    let iovecs: UnsafeMutablePointer<iovec>
    let events: UnsafeMutablePointer<clinux_event>

    /// Connections by fd.
    var slots: [Connection?] = []
    /// Every open connection, for the timeout sweep.
    var live: [Connection] = []
    /// Over-cap connections waiting for a head to a reserved path, oldest first.
    var reservedWaiting: [Connection] = []
    /// Connections with a delivered response to process and write.
    var dirty: [Connection] = []
    /// Inbox deliveries swapped out under the lock (reused to avoid allocating).
    var taken: [Delivery] = []
    var nextID: UInt64 = 0
    var now: Int64
    var nextSweep: Int64 = 0
    var stopping = false
    var gracefulStop: GracefulStop?
    /// Connections on this loop counting toward the cap (the rest of `live` are over-cap or lingering).
    var localActive = 0
    /// Set while accepting is paused after EMFILE/ENFILE (level-triggered would spin otherwise).
    var listenerPausedUntil: Int64?

    /// Creates the epoll and wake descriptors and registers `listener` (the acceptor loop's; nil for the
    /// others). Closes what it opened on failure; the listener stays the caller's until this succeeds.
    init(
        configuration: HTTPServerConfiguration,
        handler: any HTTPHandler,
        stats: ServerStats,
        index: Int,
        listener: ListeningSocket?
    ) throws(HTTPServerError) {
        var epoll: Int32 = -1
        var wake: Int32 = -1
        do {
            epoll = try Syscall.run("epoll_create1") { clinux_epoll_create() }
            wake = try Syscall.run("eventfd") { clinux_eventfd() }
            if let listener {
                _ = try Syscall.run("epoll_ctl") {
                    clinux_epoll_ctl(epoll, clinux_epoll_add(), listener.fd, clinux_epollin(), Self.listenerToken)
                }
            }
            _ = try Syscall.run("epoll_ctl") {
                clinux_epoll_ctl(epoll, clinux_epoll_add(), wake, clinux_epollin(), Self.wakeToken)
            }
        } catch {
            for fd in [epoll, wake] where fd >= 0 { Glibc.close(fd) }
            throw error.serverError(error.operation)
        }
        self.configuration = configuration
        self.handler = handler
        self.stats = stats
        self.index = index
        self.listenFD = listener?.fd ?? -1
        self.epollFD = epoll
        self.wakeFD = wake
        self.timeouts = ConnectionStateMachine.Timeouts(configuration)
        self.clock = configuration.clock
        self.logger = configuration.logger
        let shortest = min(configuration.headerTimeoutMs, configuration.bodyTimeoutMs, configuration.idleTimeoutMs)
        self.tickMs = Int64(max(10, min(250, shortest / 4)))
        let readSize = max(Self.headReadSize, configuration.bodyReadBytes)
        self.readBuffer = .allocate(byteCount: readSize, alignment: 4096)
        self.iovecs = .allocate(capacity: OutputQueue.maxIOVecs)
        self.events = .allocate(capacity: Self.maxEvents)
        self.now = configuration.clock.nowMs
    }

    deinit {
        readBuffer.deallocate()
        iovecs.deallocate()
        events.deallocate()
    }

    /// Closes every descriptor of a loop whose thread never started.
    func closeUnstarted() {
        if listenFD >= 0 { Glibc.close(listenFD) }
        Glibc.close(epollFD)
        Glibc.close(wakeFD)
        listenFD = -1
        group = []
    }

    var isLoopThread: Bool { loopThread.load(ordering: .acquiring) == clinux_thread_self() }

    // MARK: - Cross-thread entry points

    /// Gives the loop an accepted connection (counted toward the cap) to own from now on. Any thread; false
    /// once the loop has exited (the caller still owns the descriptor).
    func adopt(_ fd: Int32) -> Bool {
        inbox.withLock { inbox in
            guard !inbox.closed else { return false }
            inbox.adopted.append(fd)
            wakeLocked(&inbox)
            return true
        }
    }

    /// Hands a response to the loop. Any thread; dropped once the loop has exited.
    /// A producer that can no longer be written is finished here (completed: false), on the caller's thread.
    func post(_ delivery: Delivery) {
        if isLoopThread {
            deliver(delivery)
            return
        }
        let accepted = inbox.withLock { inbox in
            guard !inbox.closed else { return false }
            inbox.deliveries.append(delivery)
            wakeLocked(&inbox)
            return true
        }
        if !accepted { delivery.response.producer?.finish(completed: false) }
    }

    /// Asks the loop to poll a connection's open-ended producer again. Any thread.
    func wake(fd: Int32, connectionID: UInt64) {
        inbox.withLock { inbox in
            guard !inbox.closed else { return }
            inbox.wakes.append((fd, connectionID))
            wakeLocked(&inbox)
        }
    }

    /// Asks the loop to stop gracefully. Any thread; returns at once.
    func requestStop() {
        inbox.withLock { inbox in
            guard !inbox.closed else { return }
            inbox.stopRequested = true
            wakeLocked(&inbox)
        }
    }

    /// Signals the eventfd once per batch. Done under the lock so it never writes to a closed descriptor.
    private func wakeLocked(_ inbox: inout ResponseInbox) {
        if !inbox.wakePending {
            inbox.wakePending = true
            _ = clinux_eventfd_signal(wakeFD)
        }
    }

    // MARK: - The loop

    /// The loop thread's body: returns after a stop once every connection is closed (or the grace ran out).
    func run() {
        loopThread.store(clinux_thread_self(), ordering: .releasing)
        clinux_set_thread_name("\(configuration.name)-loop\(index)")
        now = clock.nowMs
        nextSweep = now + tickMs
        while !(gracefulStop?.isOver(now: now, openConnections: live.count) ?? false) {
            let timeout = dirty.isEmpty ? Int32(clamping: max(0, nextSweep - now)) : 0
            let count = Syscall.epollWait(epollFD, events, Int32(Self.maxEvents), timeout, logger: logger)
            now = clock.nowMs
            for i in 0..<count {
                dispatch(events[i])
            }
            serviceDirty()
            if now >= nextSweep {
                sweep()
                nextSweep = now + tickMs
            }
        }
        exitLoop()
    }

    private func dispatch(_ event: clinux_event) {
        switch event.data {
        case Self.wakeToken:
            takeInbox()
        case Self.listenerToken:
            acceptConnections()
        default:
            let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: event.data))
            guard fd >= 0, Int(fd) < slots.count, let connection = slots[Int(fd)],
                connection.token == event.data
            else { return }
            handleIO(connection, events: event.events)
        }
    }

    private func takeInbox() {
        _ = clinux_eventfd_drain(wakeFD)
        let (stop, wakes, adopted) = inbox.withLock { inbox in
            swap(&inbox.deliveries, &taken)
            inbox.wakePending = false
            defer {
                inbox.wakes.removeAll()
                inbox.adopted.removeAll()
            }
            return (inbox.stopRequested, inbox.wakes, inbox.adopted)
        }
        for fd in adopted {
            adoptAccepted(fd)
        }
        for delivery in taken {
            deliver(delivery)
        }
        for (fd, id) in wakes where Int(fd) < slots.count {
            if let connection = slots[Int(fd)], connection.id == id, !connection.isClosed {
                dirty.append(connection)
            }
        }
        taken.removeAll(keepingCapacity: true)
        if stop && !stopping {
            beginStop()
        }
    }

    /// Stop accepting at once (the port is free), close idle connections, let in-flight requests finish.
    private func beginStop() {
        stopping = true
        gracefulStop = GracefulStop(now: now, graceMs: configuration.shutdownGraceMs)
        closeListener()
        for i in stride(from: live.count - 1, through: 0, by: -1) {
            let connection = live[i]
            if connection.inFlight == nil && (!connection.outputPending || connection.output.hasOpenEndedStream) {
                close(connection)  // an event stream never ends by itself: end it now
            } else if connection.inFlight == nil {
                connection.machine.closeAfterOutput()
            }
        }
    }

    private func closeListener() {
        guard listenFD >= 0 else { return }
        Glibc.close(listenFD)
        listenFD = -1
    }

    private func exitLoop() {
        let (dropped, orphans) = inbox.withLock { inbox in
            inbox.closed = true
            defer {
                inbox.deliveries.removeAll()
                inbox.adopted.removeAll()
            }
            return (inbox.deliveries, inbox.adopted)
        }
        for delivery in dropped { delivery.response.producer?.finish(completed: false) }
        for fd in orphans { dropAccepted(fd) }
        loopThread.store(0, ordering: .releasing)
        for i in stride(from: live.count - 1, through: 0, by: -1) {
            close(live[i])
        }
        closeListener()
        Glibc.close(epollFD)
        Glibc.close(wakeFD)
        group = []
        stats.runningLoops.subtract(1, ordering: .releasing)
    }

    // MARK: - Timeouts

    /// Enforces every connection's deadline; runs once per tick, O(open connections) of cheap comparisons.
    private func sweep() {
        if let paused = listenerPausedUntil, now >= paused, listenFD >= 0 {
            listenerPausedUntil = nil
            Syscall.epollModify(epollFD, listenFD, events: clinux_epollin(), token: Self.listenerToken, logger: logger)
        }
        for i in stride(from: live.count - 1, through: 0, by: -1) {
            let connection = live[i]
            let action = connection.machine.tick(
                now: now,
                outputPending: connection.outputPending,
                producerWaiting: connection.output.awaitsProducer
            )
            run(action, on: connection)
        }
    }

    /// Executes what a connection's state machine asks for.
    func run(_ action: ConnectionStateMachine.Action, on connection: Connection) {
        switch action {
        case .none, .linger:
            break
        case .close:
            close(connection)
        case .timeOut(let reason):
            respondAndClose(connection, handler.errorResponse(status: 408, reason: reason))
            service(connection)
        }
    }

    /// Says what the loop swallowed (with the OS reason when there is one).
    func log(_ message: @autoclosure () -> String, _ code: Int32?) {
        guard let logger else { return }
        let reason = code.map { ": " + Syscall.text($0) } ?? ""
        logger.debug("\(configuration.name): \(message())\(reason)")
    }
}
