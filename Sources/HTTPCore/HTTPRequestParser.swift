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
///
/// Decisions taken where RFC 9112 leaves a choice: any number of empty lines before a request line is skipped
/// (they count toward `maxHeaderBytes`); `HTTP/1.x` with x ≥ 2 is treated as 1.1; more than one
/// Transfer-Encoding field → 501; a Content-Length too large for an Int → 413; a chunk size too large for an
/// Int → 400; trailer fields count toward the same header byte and field budgets as the head; a chunk-size line
/// (size + extensions) longer than `maxChunkLineBytes` → 400. 411 is never produced: a request without
/// Content-Length or Transfer-Encoding has no body.
public struct HTTPRequestParser: Sendable {
    /// Longest accepted chunk-size line, extensions included (extensions are ignored, so they need no room).
    public static let maxChunkLineBytes = 4096
    /// Most empty lines accepted before a request line (more → 400).
    public static let maxEmptyLines = 4

    let limits: HTTPLimits
    let bodyLimit: (@Sendable (HTTPRequestHead) -> Int)?
    /// `feed(_:body:)` stops after each head with a body until `acceptBody(limit:)` (and after each `.end`).
    let waitsForBodyLimit: Bool
    var state = HTTPParserState.idle

    // The request being parsed.
    /// Method bytes, then target bytes, while they are being read.
    var scratch: [UInt8] = []
    var method = ""
    var target = ""
    var version = HTTPVersion.http1_1
    var fieldName: [UInt8] = []
    var fieldValue: [UInt8] = []
    var fields: [(name: String, value: String)] = []
    var facts = HTTPHeadFacts()
    /// Bytes of empty lines + request line + header section (+ trailer section) so far.
    var headBytes = 0
    var emptyLines = 0
    var targetBytes = 0
    var fieldCount = 0
    var inTrailers = false

    // Body progress.
    /// Bytes left in the Content-Length body or in the current chunk.
    var remaining = 0
    var bodyReceived = 0
    var currentBodyLimit = 0
    var chunkSize = 0
    var chunkLineBytes = 0

    /// - Parameters:
    ///   - limits: header and target limits.
    ///   - bodyLimit: the largest body accepted for a given head (defaults to `limits.maxBodyBytes`).
    public init(limits: HTTPLimits = HTTPLimits(), bodyLimit: (@Sendable (HTTPRequestHead) -> Int)? = nil) {
        self.limits = limits
        self.bodyLimit = bodyLimit
        self.waitsForBodyLimit = false
        scratch.reserveCapacity(64)
        fieldName.reserveCapacity(32)
        fieldValue.reserveCapacity(64)
    }

    /// A parser whose body limit the caller decides per head, once it has seen the head (a server asks its
    /// handler): `feed(_:body:)` returns after a head that has a body, and the body is parsed only after
    /// `acceptBody(limit:)`. It also returns after each `.end`, so one call completes at most one request.
    /// `feed(_:)` (events) applies `limits.maxBodyBytes` itself.
    public init(limits: HTTPLimits = HTTPLimits(), waitsForBodyLimit: Bool) {
        self.limits = limits
        self.bodyLimit = nil
        self.waitsForBodyLimit = waitsForBodyLimit
        scratch.reserveCapacity(64)
        fieldName.reserveCapacity(32)
        fieldValue.reserveCapacity(64)
    }

    /// True after a head with a body was returned and before `acceptBody(limit:)`.
    public var awaitsBodyLimit: Bool { state == .awaitingBodyLimit }

    /// The largest body the caller accepts for the head just returned. A Content-Length over it fails now
    /// (413, before any body byte is read); a chunked body fails at the first chunk size line that passes it.
    /// Returns that error (the parser is then failed), or nil.
    public mutating func acceptBody(limit: Int) -> HTTPParseError? {
        precondition(state == .awaitingBodyLimit, "acceptBody(limit:) without a head awaiting it")
        if remaining > 0 {
            guard remaining <= limit else {
                state = .failed
                return HTTPParseError(.payloadTooLarge, "request body too large")
            }
            state = .fixedBody
        } else {
            currentBodyLimit = max(limit, 0)
            bodyReceived = 0
            state = .chunkSizeStart
        }
        return nil
    }

    /// Feeds bytes; returns every event they complete, in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [HTTPParserEvent] {
        var sink = HTTPEventSink()
        var i = 0
        while i < bytes.count && state != .failed {
            i = step(bytes, i, &sink)
        }
        sink.flushBody()
        return sink.events
    }

    /// Feeds bytes without copying body bytes: each body piece is handed to `body` as a slice of `bytes`
    /// (valid only during that call) instead of becoming a `.body` event. Feeding stops right after a `.head`,
    /// so the caller can decide where that request's body goes before any of it is handed out; the rest of
    /// the input (`bytes[consumed...]`) is fed by the next call. Body pieces handed out during one call come
    /// before every event it returns. Otherwise identical to `feed(_:)`: the same input gives the same events
    /// with the `.body` events removed.
    public mutating func feed(
        _ bytes: UnsafeRawBufferPointer,
        body: (UnsafeRawBufferPointer) -> Void
    ) -> (events: [HTTPParserEvent], consumed: Int) {
        withoutActuallyEscaping(body) { receiver in
            var sink = HTTPEventSink(bodyReceiver: receiver)
            sink.pausesAfterEnd = waitsForBodyLimit
            var i = 0
            while i < bytes.count && state != .failed && state != .awaitingBodyLimit && !sink.pausedAfterHead {
                i = step(bytes, i, &sink)
            }
            return (sink.events, state == .failed ? bytes.count : i)
        }
    }

    /// Convenience for tests and small inputs.
    public mutating func feed(_ bytes: [UInt8]) -> [HTTPParserEvent] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The peer closed its side. Returns `.error(.badRequest)` if a request was partly received, else nothing.
    public mutating func finish() -> [HTTPParserEvent] {
        switch state {
        case .idle, .failed:
            return []
        default:
            state = .failed
            return [.error(HTTPParseError(.badRequest, "connection closed mid-request"))]
        }
    }

    /// True between a `.head` and its `.end` (used by servers to pick header vs body timeouts).
    public var isInBody: Bool {
        switch state {
        case .awaitingBodyLimit, .fixedBody, .chunkSizeStart, .chunkSize, .chunkSizeWhitespace, .chunkExtension,
            .chunkSizeLF, .chunkData, .chunkDataCR, .chunkDataLF:
            true
        case .fieldStart, .fieldName, .fieldValueStart, .fieldValue, .fieldLF, .headEndLF:
            inTrailers
        default:
            false
        }
    }
    /// True when no byte of a next request has been received (connection is idle between requests).
    /// Empty lines received between requests are not part of a request and leave the parser idle.
    public var isIdle: Bool { state == .idle }
    /// True once an `.error` was produced (by `feed` or `finish`); the parser is then inert.
    public var hasFailed: Bool { state == .failed }

    /// Consumes bytes starting at `i` in the current state; returns the index of the first unconsumed byte.
    private mutating func step(_ p: UnsafeRawBufferPointer, _ i: Int, _ sink: inout HTTPEventSink) -> Int {
        switch state {
        case .idle, .leadingLF, .method, .targetStart, .target, .version:
            stepRequestLine(p, i, &sink)
        case .fieldStart, .fieldName, .fieldValueStart, .fieldValue, .fieldLF, .headEndLF:
            stepFields(p, i, &sink)
        case .fixedBody, .chunkSizeStart, .chunkSize, .chunkSizeWhitespace, .chunkExtension, .chunkSizeLF,
            .chunkData, .chunkDataCR, .chunkDataLF:
            stepBody(p, i, &sink)
        case .awaitingBodyLimit:
            // Only `feed(_:)` gets here (the slicing feed stops): it decides with the default limit.
            decideDefaultBodyLimit(i, &sink)
        case .failed:
            p.count
        }
    }

    /// `feed(_:)` on a parser that waits for body limits: the default limit applies.
    private mutating func decideDefaultBodyLimit(_ i: Int, _ sink: inout HTTPEventSink) -> Int {
        guard let error = acceptBody(limit: limits.maxBodyBytes) else { return i }
        sink.emit(.error(error))
        return i
    }

    /// Emits a terminal error; returns `i` for the caller to pass on (the loop stops on `.failed`).
    mutating func fail(
        _ kind: HTTPParseError.Kind,
        _ reason: String,
        at i: Int,
        _ sink: inout HTTPEventSink
    ) -> Int {
        state = .failed
        sink.emit(.error(HTTPParseError(kind, reason)))
        return i
    }

    /// Adds `n` consumed bytes to the head budget; false once it is exceeded.
    @inline(__always)
    mutating func countHead(_ n: Int) -> Bool {
        headBytes += n
        return headBytes <= limits.maxHeaderBytes
    }

    /// Clears per-request state after `.end`; buffers keep their capacity.
    mutating func resetForNextRequest() {
        state = .idle
        scratch.removeAll(keepingCapacity: true)
        fieldName.removeAll(keepingCapacity: true)
        fieldValue.removeAll(keepingCapacity: true)
        method = ""
        target = ""
        version = .http1_1
        fields = []
        facts = HTTPHeadFacts()
        headBytes = 0
        emptyLines = 0
        targetBytes = 0
        fieldCount = 0
        inTrailers = false
        remaining = 0
        bodyReceived = 0
        currentBodyLimit = 0
        chunkSize = 0
        chunkLineBytes = 0
    }
}

extension UnsafeRawBufferPointer {
    /// The index of the first byte at or after `i` that fails `predicate` (or `count`).
    @inline(__always)
    func scan(from i: Int, while predicate: (UInt8) -> Bool) -> Int {
        var j = i
        while j < count && predicate(self[j]) { j += 1 }
        return j
    }

    @inline(__always)
    func slice(_ lo: Int, _ hi: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[lo..<hi])
    }
}
