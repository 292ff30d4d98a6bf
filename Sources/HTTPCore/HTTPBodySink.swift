/// Receives a request body as it arrives (loop thread, in order), e.g. straight into cache memory.
public protocol HTTPBodySink: AnyObject, Sendable {
    /// Consumes the next piece. Return false to stop: the server answers `failure()` and closes.
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// The answer when `write` returned false.
    func failure() -> HTTPResponse
    /// The request ended before reaching the handler (client gone, malformed body, timeout, server stopped);
    /// never called after `write` returned false. Called at most once, on the loop thread. Default: nothing.
    func abandon()
}

extension HTTPBodySink {
    public func abandon() {}
}
