/// Produces a response body from memory the producer owns (e.g. a cache pool), without copying.
/// Called only on the server's loop thread, in order.
///
/// An open-ended producer (an event stream) announces `contentLength` -1: the response then carries no
/// Content-Length and ends with the connection (`Connection: close`), and `next` may hand out nothing while
/// returning true ("nothing yet"); the server stops polling it until the producer calls the waker it was given
/// in `attach(waker:)`. It is asked again only once every byte it handed out was written, so it may release earlier
/// regions then. Such a response neither holds up a graceful stop (the server ends it) nor counts as a
/// request in flight.
public protocol HTTPBodyProducer: AnyObject, Sendable {
    /// Exact total body length (sent as Content-Length), or -1 for an open-ended body.
    var contentLength: Int { get }
    /// Appends the next regions to `out` (at most about `maxBytes` in total, at least 1 byte unless finished).
    /// Returns false when every byte has been handed out. Regions must stay valid until `finish` is called.
    func next(maxBytes: Int, into out: inout [UnsafeRawBufferPointer]) -> Bool
    /// Called exactly once: `completed` = every byte was written to the socket; false = connection closed early
    /// or server stopped. Release pins here.
    func finish(completed: Bool)
    /// Called once on the loop before the first `next`: `waker.wake()` (any thread) asks for `next` again.
    func attach(waker: HTTPWaker)
    /// True for a body of known length whose bytes become available over time (a progressive pull): `next` may
    /// then hand out nothing for now, like an open-ended producer, and wakes the loop when it has more. It must
    /// end the body itself (return false) if it gives up.
    var mayStall: Bool { get }
}

extension HTTPBodyProducer {
    public func attach(waker: HTTPWaker) {}
    public var mayStall: Bool { false }
}

/// Asks a server loop to poll an open-ended producer again. Any thread; harmless after the response ended.
public struct HTTPWaker: Sendable {
    private let body: @Sendable () -> Void
    public init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    public func wake() { body() }
}
