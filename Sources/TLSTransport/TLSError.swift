/// Why a TLS context could not be built or a TLS session failed, with the reason a node shows to its caller
/// (CONTRACT §13: "certificate verify failed", "peer does not speak TLS", ...).
public struct TLSError: Error, Sendable, CustomStringConvertible {
    /// The failure class.
    public enum Kind: Sendable, Hashable {
        /// A certificate, key or CA file is missing, unreadable or does not parse (or key and certificate differ).
        case configuration
        /// The peer's certificate does not chain to the trusted CA, has expired, or does not name the address
        /// dialled.
        case verifyFailed
        /// The bytes on the wire are not TLS (a plaintext peer on a TLS port, or TLS dialled at a plaintext port).
        case notTLS
        /// The peer closed the connection without a TLS close_notify (mid-handshake or mid-stream).
        case peerClosed
        /// Any other handshake or record failure (an alert from the peer, no shared cipher, renegotiation, ...).
        case protocolError
        /// The socket failed (errno set).
        case socket
    }

    /// The failure class.
    public var kind: Kind
    /// The reason as a short sentence, OpenSSL's reason text where there is one.
    public var reason: String

    /// Creates an error value.
    public init(kind: Kind, reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { reason }
}
