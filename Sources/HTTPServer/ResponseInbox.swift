import HTTPCore

/// A response on its way from any thread to the loop, addressed to one request of one connection.
struct Delivery: Sendable {
    var fd: Int32
    var connectionID: UInt64
    var sequence: UInt64
    var response: HTTPResponse
}

/// What other threads hand to the loop; kept behind the loop's mutex.
struct ResponseInbox: ~Copyable {
    var deliveries: [Delivery] = []
    /// Connections whose open-ended producer has more to send (fd, connection id).
    var wakes: [(fd: Int32, connectionID: UInt64)] = []
    /// Accepted connections handed over by the acceptor loop, to register here.
    var adopted: [Int32] = []
    var stopRequested = false
    /// The eventfd has been signalled and the loop has not yet taken the inbox.
    var wakePending = false
    /// The loop has exited: drop whatever arrives.
    var closed = false
}
