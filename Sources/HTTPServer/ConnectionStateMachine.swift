/// The lifecycle of one connection as a pure state machine: the loop reports what happened (events in) and
/// executes what the machine answers (actions out). Every deadline is a comparison with a `now` the loop reads
/// from its injected clock, so each timeout is testable on a `ManualClock` without sockets or sleeps.
/// Modelled on async-http-client's `HTTP1ConnectionStateMachine` and Hummingbird's connection state handler.
struct ConnectionStateMachine: Sendable, Equatable {
    enum State: Sendable, Equatable {
        /// Between requests or inside a head. `start` is when the head's first byte arrived (nil: nothing of a
        /// head yet, the idle timeout governs); a connection over the cap starts its header clock at accept.
        case readingHead(start: Int64?)
        /// A head was accepted and its body is arriving (the body timeout governs pauses between bytes).
        case readingBody
        /// A request is with the handler; no timeout (the handler owns its deadline).
        case awaiting
        /// A response is being written; `closeAfter`: it is final, the connection closes once it is out.
        case writing(closeAfter: Bool)
        /// Write side shut down; input is drained until EOF or the deadline so the client sees the last
        /// response rather than a reset.
        case lingering(deadline: Int64)
        case closed
    }

    /// What the loop must do.
    enum Action: Sendable, Equatable {
        case none
        /// Answer 408 with this reason, then close.
        case timeOut(String)
        /// Close without a word (idle keep-alive, stalled writer, linger over).
        case close
        /// Shut down the write side and linger until `deadline`.
        case linger(deadline: Int64)
    }

    struct Timeouts: Sendable, Equatable {
        var headerMs: Int64
        var bodyMs: Int64
        var idleMs: Int64
        var lingerMs: Int64

        init(_ configuration: HTTPServerConfiguration) {
            headerMs = Int64(configuration.headerTimeoutMs)
            bodyMs = Int64(configuration.bodyTimeoutMs)
            idleMs = Int64(configuration.idleTimeoutMs)
            lingerMs = Int64(configuration.lingerMs)
        }

        init(headerMs: Int64, bodyMs: Int64, idleMs: Int64, lingerMs: Int64) {
            self.headerMs = headerMs
            self.bodyMs = bodyMs
            self.idleMs = idleMs
            self.lingerMs = lingerMs
        }
    }

    private(set) var state: State
    /// Last read, write progress or answered request: the idle, body and write-stall clocks.
    private(set) var lastActivity: Int64
    let timeouts: Timeouts

    /// A connection just accepted; `headerClockAtAccept` for one over the cap waiting for a reserved path.
    init(now: Int64, timeouts: Timeouts, headerClockAtAccept: Bool = false) {
        self.timeouts = timeouts
        self.lastActivity = now
        self.state = .readingHead(start: headerClockAtAccept ? now : nil)
    }

    var isClosing: Bool {
        switch state {
        case .writing(closeAfter: true), .lingering, .closed: true
        default: false
        }
    }

    var isLingering: Bool { if case .lingering = state { true } else { false } }

    // MARK: - Events in

    /// Bytes were read and fed. `inHead`: the parser holds part of a head; `inBody`: part of a body.
    mutating func bytesReceived(now: Int64, inHead: Bool, inBody: Bool) {
        lastActivity = now
        switch state {
        case .readingHead(let start):
            if inBody {
                state = .readingBody
            } else if inHead && start == nil {
                state = .readingHead(start: now)  // the header clock starts at the first byte of a head
            } else if !inHead && !inBody {
                state = .readingHead(start: nil)
            }
        case .readingBody:
            if !inBody { state = .readingHead(start: inHead ? now : nil) }
        default:
            break
        }
    }

    /// A head was accepted and its body follows.
    mutating func bodyStarted() {
        if case .readingHead = state { state = .readingBody }
    }

    /// A complete request went to the handler.
    mutating func requestDispatched() {
        guard !isClosing else { return }
        state = .awaiting
    }

    /// The handler's response (or the server's own) was queued. `closeAfter`: nothing follows it.
    mutating func responseQueued(now: Int64, closeAfter: Bool) {
        guard !isClosing else { return }
        lastActivity = now
        state = .writing(closeAfter: closeAfter)
    }

    /// Some output was written.
    mutating func wrote(now: Int64) { lastActivity = now }

    /// Nothing more is read: the output queued is final (a graceful stop).
    mutating func closeAfterOutput() {
        guard !isClosing else { return }
        state = .writing(closeAfter: true)
    }

    /// Everything queued is written. Returns `.linger` for a final response, else nothing (the next request
    /// may already be arriving: `inHead`, `inBody`).
    mutating func outputDrained(now: Int64, inHead: Bool, inBody: Bool) -> Action {
        switch state {
        case .writing(closeAfter: true):
            let deadline = now + timeouts.lingerMs
            state = .lingering(deadline: deadline)
            return .linger(deadline: deadline)
        case .writing(closeAfter: false):
            state = inBody ? .readingBody : .readingHead(start: inHead ? now : nil)
            return .none
        default:
            return .none
        }
    }

    mutating func closed() { state = .closed }

    // MARK: - The clock

    /// Checks the connection's deadline at `now`. `outputPending`: bytes wait to be written;
    /// `producerWaiting`: only an open-ended stream waiting for its next event is queued.
    func tick(now: Int64, outputPending: Bool, producerWaiting: Bool) -> Action {
        switch state {
        case .closed:
            return .none
        case .lingering(let deadline):
            return now >= deadline ? .close : .none
        default:
            break
        }
        if producerWaiting { return .none }  // an event stream waiting for its next event (its pings keep it honest)
        if outputPending {
            // The client stopped reading: a stalled write counts as idle.
            return now - lastActivity >= timeouts.idleMs ? .close : .none
        }
        switch state {
        case .awaiting, .writing, .lingering, .closed:
            return .none
        case .readingBody:
            guard now - lastActivity >= timeouts.bodyMs else { return .none }
            return .timeOut("no request body bytes received for \(timeouts.bodyMs) ms")
        case .readingHead(start: let start?):
            guard now - start >= timeouts.headerMs else { return .none }
            return .timeOut("request head not received within \(timeouts.headerMs) ms")
        case .readingHead(start: nil):
            return now - lastActivity >= timeouts.idleMs ? .close : .none
        }
    }
}

/// The loop's own deadline during a graceful stop: in-flight requests get `graceMs`, then every connection closes.
struct GracefulStop: Sendable, Equatable {
    let deadline: Int64

    init(now: Int64, graceMs: Int) { deadline = now + Int64(max(0, graceMs)) }

    /// The loop may exit: nothing is open any more, or the grace ran out.
    func isOver(now: Int64, openConnections: Int) -> Bool { openConnections == 0 || now >= deadline }
}
