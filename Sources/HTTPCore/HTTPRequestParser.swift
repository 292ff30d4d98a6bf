/// What the parser produced from the bytes fed so far.
public enum HTTPParserEvent: Sendable, Equatable {
    /// A complete, validated request head. Body events (if any) and `.end` follow.
    case head(HTTPRequestHead)
    /// A piece of the body, in order (chunk framing removed).
    case body([UInt8])
    /// The current request is complete; the next bytes belong to the next (pipelined) request.
    case end
    /// Terminal error: no more events will be produced.
    case error(HTTPParseError)
}

/// Incremental, strict HTTP/1.1 request parser (RFC 9112). Feed it bytes in any split; it returns events.
/// It never traps on any input.
public struct HTTPRequestParser: Sendable {
    /// - Parameters:
    ///   - limits: header and target limits.
    ///   - bodyLimit: the largest body accepted for a given head (defaults to `limits.maxBodyBytes`).
    public init(limits: HTTPLimits = HTTPLimits(), bodyLimit: (@Sendable (HTTPRequestHead) -> Int)? = nil) {
        fatalError("HTTPRequestParser not implemented yet")
    }

    /// Feeds bytes; returns every event they complete, in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [HTTPParserEvent] {
        fatalError("not implemented")
    }

    /// Convenience for tests and small inputs.
    public mutating func feed(_ bytes: [UInt8]) -> [HTTPParserEvent] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The peer closed its side. Returns `.error(.badRequest)` if a request was partly received, else nothing.
    public mutating func finish() -> [HTTPParserEvent] {
        fatalError("not implemented")
    }

    /// True between a `.head` and its `.end` (used by servers to pick header vs body timeouts).
    public var isInBody: Bool { fatalError("not implemented") }
    /// True when no byte of a next request has been received (connection is idle between requests).
    public var isIdle: Bool { fatalError("not implemented") }
}
