/// Why a framed transfer cannot be accepted, or a frame layout cannot be used.
public enum FrameError: Error, Hashable, Sendable {
    /// The trailer of frame `frame` (0-based) does not match the CRC32C of its payload.
    case checksumMismatch(frame: Int)
    /// The stream ended after `received` of its `expected` encoded bytes.
    case truncated(received: Int, expected: Int)
    /// The stream carried more than its `expected` encoded bytes.
    case overflow(expected: Int)
    /// A frame size below one byte.
    case invalidFrameSize(Int)
    /// A negative payload length, or one whose encoded length does not fit in `Int`.
    case invalidPayloadLength(Int)
    /// The destination regions hold fewer bytes than the payload.
    case destinationTooSmall(capacity: Int, payload: Int)
}
