/// Why a request was rejected by the parser. Every error is terminal: the server answers `status`
/// with a JSON body and closes the connection.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case badRequest  // 400: malformed syntax, framing conflicts, bad/missing Host
        case lengthRequired  // 411: a body without a length (not produced for requests without body)
        case payloadTooLarge  // 413: body over the limit for this request
        case uriTooLong  // 414: request-target over the limit
        case expectationFailed  // 417: an Expect value other than 100-continue
        case headerFieldsTooLarge  // 431: header bytes or count over the limit
        case notImplemented  // 501: a transfer-coding other than exactly "chunked"
        case versionNotSupported  // 505: HTTP major version other than 1
    }
    public var kind: Kind
    /// A short human sentence saying what was wrong (safe to echo back: never contains header values).
    public var reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var status: Int {
        switch kind {
        case .badRequest: 400
        case .lengthRequired: 411
        case .payloadTooLarge: 413
        case .uriTooLong: 414
        case .expectationFailed: 417
        case .headerFieldsTooLarge: 431
        case .notImplemented: 501
        case .versionNotSupported: 505
        }
    }
    public var description: String { "\(status) \(reason)" }
}

/// Parser limits. The body limit is decided per request from its head (see `HTTPRequestParser.init`).
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request-target in bytes (→ 414).
    public var maxTargetBytes: Int = 8 * 1024
    /// Longest request line + header section in bytes (→ 431; a request line alone over it → 414/400).
    public var maxHeaderBytes: Int = 32 * 1024
    /// Most header fields (→ 431).
    public var maxHeaderCount: Int = 100
    /// Default body limit when no per-request decision is supplied (→ 413).
    public var maxBodyBytes: Int = 1024 * 1024

    public init() {}
}
