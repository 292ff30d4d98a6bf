/// One request to a peer node.
public struct PeerRequest: Sendable {
    /// HTTP method, e.g. `GET`, `POST`, `PUT`, `DELETE`, `HEAD`.
    public var method: String
    /// Absolute URL `http://host:port/path?query`; only plain HTTP is allowed.
    public var url: String
    /// Request header fields, sent in order.
    public var headers: [PeerHeader]
    /// Request body.
    public var body: PeerRequestBody
    /// Bound of the TCP connect phase, in milliseconds (at least 1).
    public var connectTimeoutMs: Int
    /// Bound of the whole exchange (connect, send, receive), in milliseconds (at least 1). Never unbounded.
    public var totalTimeoutMs: Int
    /// Optional abort when the transfer runs slower than a rate for a while (a stalled peer).
    public var lowSpeedLimit: PeerLowSpeedLimit?
    /// Optional: stops the request when cancelled (`.aborted`).
    public var cancellation: PeerCancellation?

    /// Creates a request; timeouts default to 3 s connect and 30 s total.
    public init(
        method: String = "GET",
        url: String,
        headers: [PeerHeader] = [],
        body: PeerRequestBody = .none,
        connectTimeoutMs: Int = 3000,
        totalTimeoutMs: Int = 30_000,
        lowSpeedLimit: PeerLowSpeedLimit? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeoutMs = connectTimeoutMs
        self.totalTimeoutMs = totalTimeoutMs
        self.lowSpeedLimit = lowSpeedLimit
    }
}

/// A request body: nothing, owned bytes, a borrowed memory region sent without copying, or a stream
/// produced while it is sent.
public enum PeerRequestBody: Sendable {
    /// No body.
    case none
    /// Owned bytes (small bodies such as JSON).
    case bytes([UInt8])
    /// Bytes read in place from memory the caller owns (e.g. a cache pool page range).
    case region(PeerUploadRegion)
    /// Bytes pulled from a producer as libcurl sends them, with an exact Content-Length (never chunked).
    case stream(PeerUploadStream)
}

/// A borrowed memory region to upload without copying.
///
/// `@unchecked Sendable` invariant: the creator keeps the memory alive and unmodified until every
/// `perform` using it has returned; the client only reads it.
public struct PeerUploadRegion: @unchecked Sendable {
    /// The bytes to send.
    public let bytes: UnsafeRawBufferPointer

    /// Wraps a region; the memory must stay valid and unchanged until `perform` returns.
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }
}

/// Abort a transfer that moves fewer than `bytesPerSecond` for `seconds` in a row (reported as `.timeout`).
public struct PeerLowSpeedLimit: Sendable, Hashable {
    /// Minimum average rate, in bytes per second.
    public var bytesPerSecond: Int
    /// How long, in whole seconds, the rate may stay below the minimum.
    public var seconds: Int

    /// Creates a low-speed limit.
    public init(bytesPerSecond: Int, seconds: Int) {
        self.bytesPerSecond = bytesPerSecond
        self.seconds = seconds
    }
}
