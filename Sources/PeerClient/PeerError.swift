/// Why a peer request failed. The node maps `kind` to its own status codes.
public struct PeerError: Error, Sendable, CustomStringConvertible {
    /// The failure class.
    public enum Kind: Sendable, Hashable {
        /// Connection refused, host unreachable, or name not resolved.
        case connectFailed
        /// Connect timeout, total deadline, or low-speed limit hit.
        case timeout
        /// The peer did not speak valid HTTP, or the body was truncated, oversized or of the wrong length.
        case badResponse
        /// The peer answered with a non-2xx status; `PeerError.body` holds its body.
        case httpStatus(Int)
        /// The TLS handshake or a TLS record failed; `message` says why ("certificate verify failed: ...",
        /// "peer does not speak TLS: ...").
        case tls
        /// The streaming sink returned false, or an upload stream ended before its announced length.
        case aborted
        /// Anything else (bad URL, out of memory, libcurl setup failure).
        case other
    }

    /// The failure class.
    public var kind: Kind
    /// Human-readable detail: libcurl's error buffer text or this client's own check.
    public var message: String
    /// For `.httpStatus`, the response body (bounded); empty otherwise.
    public var body: [UInt8]

    /// Creates an error value.
    public init(kind: Kind, message: String, body: [UInt8] = []) {
        self.kind = kind
        self.message = message
        self.body = body
    }

    public var description: String {
        "PeerError(\(kind)): \(message)"
    }
}
