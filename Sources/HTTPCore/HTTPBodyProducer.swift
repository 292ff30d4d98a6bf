/// Produces a response body from memory the producer owns (e.g. a cache pool), without copying.
/// Called only on the server's loop thread, in order.
public protocol HTTPBodyProducer: AnyObject, Sendable {
    /// Exact total body length (sent as Content-Length).
    var contentLength: Int { get }
    /// Appends the next regions to `out` (at most about `maxBytes` in total, at least 1 byte unless finished).
    /// Returns false when every byte has been handed out. Regions must stay valid until `finish` is called.
    func next(maxBytes: Int, into out: inout [UnsafeRawBufferPointer]) -> Bool
    /// Called exactly once: `completed` = every byte was written to the socket; false = connection closed early
    /// or server stopped. Release pins here.
    func finish(completed: Bool)
}
