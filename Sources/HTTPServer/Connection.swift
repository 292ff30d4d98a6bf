import HTTPCore

/// One accepted client socket and its request/response state. Used only on its loop's thread.
final class Connection {
    /// A request handed to the handler and not yet answered.
    struct InFlight {
        var sequence: UInt64
        var keepAlive: Bool
        var isHead: Bool
    }

    let fd: Int32
    /// Unique within the loop; responders and epoll tokens carry it so a reused fd is never confused.
    let id: UInt64
    /// False for a connection accepted over the cap only to be answered 503, or one already lingering.
    var countsTowardCap: Bool
    /// Position in `EventLoop.live` (swap-remove).
    var index = 0

    var parser: HTTPRequestParser
    /// Parsed events not yet acted on (they wait while a request is in flight).
    var pending: [HTTPParserEvent] = []
    var pendingIndex = 0
    /// The head and gathered body of the request being received.
    var head: HTTPRequestHead?
    var body: [UInt8] = []
    /// Where that request's body goes when the handler streams it (then `body` stays empty).
    var sink: (any HTTPBodySink)?
    var sequence: UInt64 = 0
    var inFlight: InFlight?
    var output = OutputQueue()

    /// A final response is queued: write it, then shut down and close.
    var closing = false
    /// Write side shut down; reading and discarding until EOF or `lingerDeadline` so the client sees the
    /// response instead of a reset.
    var lingering = false
    var lingerDeadline: Int64 = 0
    var lingerBytes = 0
    /// The peer sent EOF.
    var readClosed = false
    var isClosed = false
    /// Events currently registered with epoll.
    var registered: UInt32

    /// Last read, write progress or answered request (ms, monotonic): the idle, body and write clocks.
    var lastActivity: Int64
    /// When the first byte of the request head now being received arrived.
    var headStart: Int64?

    init(fd: Int32, id: UInt64, countsTowardCap: Bool, parser: HTTPRequestParser, registered: UInt32, now: Int64) {
        self.fd = fd
        self.id = id
        self.countsTowardCap = countsTowardCap
        self.parser = parser
        self.registered = registered
        self.lastActivity = now
    }

    var hasPendingEvents: Bool { pendingIndex < pending.count }

    func appendEvents(_ events: [HTTPParserEvent]) {
        if events.isEmpty { return }
        if !hasPendingEvents {
            pending = events
            pendingIndex = 0
        } else {
            pending.append(contentsOf: events)
        }
    }

    func nextEvent() -> HTTPParserEvent? {
        guard hasPendingEvents else { return nil }
        let event = pending[pendingIndex]
        pendingIndex += 1
        if pendingIndex == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
        }
        return event
    }

    /// The epoll token: low 32 bits fd, high 32 bits the (truncated) id.
    var token: UInt64 { UInt64(UInt32(truncatingIfNeeded: id)) << 32 | UInt64(UInt32(bitPattern: fd)) }
}
