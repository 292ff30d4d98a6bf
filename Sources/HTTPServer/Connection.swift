import HTTPCore
import TLSTransport

/// One accepted client socket and its request/response state. Used only on its loop's thread.
final class Connection {
    /// A request handed to the handler and not yet answered.
    struct InFlight {
        var sequence: UInt64
        var keepAlive: Bool
        var isHead: Bool
    }

    /// The request being received: its head and the handler's one decision about it.
    struct Receiving {
        var head: HTTPRequestHead
        var accepted: HTTPAcceptedRequest
        /// The gathered body (stays empty when `accepted.sink` takes it).
        var body: [UInt8] = []
    }

    let fd: Int32
    /// Unique within the loop; responders and epoll tokens carry it so a reused fd is never confused.
    let id: UInt64
    /// False for a connection accepted over the cap (answered 503, or waiting for a reserved path), or one
    /// already lingering.
    var countsTowardCap: Bool
    /// Accepted over the cap to be served only for a reserved path (`/healthz`), once, then closed.
    var overCap: Bool
    /// Position in `EventLoop.live` (swap-remove).
    var index = 0

    var parser: HTTPRequestParser
    /// Bytes read but not yet fed: they follow a request now in flight (pipelining) and are fed once it is
    /// answered. Bounded by one read, since a connection with a request in flight is not read.
    var unread: [UInt8] = []
    var receiving: Receiving?
    var sequence: UInt64 = 0
    var inFlight: InFlight?
    var output = OutputQueue()
    /// The lifecycle and every deadline of this connection.
    var machine: ConnectionStateMachine

    /// At least one byte arrived (an over-cap connection that has sent nothing may be dropped for a newer one).
    var sentAnything = false
    var lingerBytes = 0
    /// The peer sent EOF.
    var readClosed = false
    var isClosed = false
    /// Events currently registered with epoll.
    var registered: UInt32
    /// The TLS state when the listener serves TLS (CONTRACT §13); nil for plaintext.
    var tls: ConnectionTLS?

    /// Something is still owed to the socket: queued output, or TLS records sealed but not yet sent.
    var outputPending: Bool { !output.isEmpty || recordsPending }

    /// TLS records sealed but not yet sent (they need EPOLLOUT whatever the queue holds).
    var recordsPending: Bool { tls?.session.hasPendingOutput == true }

    init(
        fd: Int32,
        id: UInt64,
        countsTowardCap: Bool,
        overCap: Bool,
        parser: HTTPRequestParser,
        registered: UInt32,
        machine: ConnectionStateMachine
    ) {
        self.fd = fd
        self.id = id
        self.countsTowardCap = countsTowardCap
        self.overCap = overCap
        self.parser = parser
        self.registered = registered
        self.machine = machine
    }

    /// A final response is queued (or written): nothing after it is read or answered.
    var closing: Bool { machine.isClosing }
    var lingering: Bool { machine.isLingering }
    /// The next request may be read: none is in flight, no final answer is queued, the peer has not closed.
    var wantsRead: Bool { inFlight == nil && !closing && !readClosed }

    /// The epoll token: low 32 bits fd, high 32 bits the (truncated) id.
    var token: UInt64 { UInt64(UInt32(truncatingIfNeeded: id)) << 32 | UInt64(UInt32(bitPattern: fd)) }
}
