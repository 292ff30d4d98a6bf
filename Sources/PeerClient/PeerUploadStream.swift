/// A request body produced while it is sent: exactly `length` bytes, pulled in order through `read` into
/// libcurl's upload buffer (e.g. a `FrameEncoder` framing pool memory). Sent with `Content-Length: length`.
public struct PeerUploadStream: Sendable {
    /// Exact number of bytes the stream produces: the request's Content-Length.
    public let length: Int
    /// Copies the next bytes into the buffer and returns how many (0 only at the end). Never asked for more
    /// than the bytes still due.
    let read: @Sendable (UnsafeMutableRawBufferPointer) -> Int
    /// Restarts the stream from its first byte; nil if it cannot.
    let rewind: (@Sendable () -> Bool)?

    /// Wraps a producer of `length` bytes. With `rewind`, libcurl can resend the body when a kept-alive
    /// connection turns out to be closed; without it such a request fails instead of being retried.
    public init(
        length: Int,
        rewind: (@Sendable () -> Bool)? = nil,
        read: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Int
    ) {
        self.length = length
        self.rewind = rewind
        self.read = read
    }
}
