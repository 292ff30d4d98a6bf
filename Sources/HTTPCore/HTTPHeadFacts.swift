/// What the parser learned from the framing-relevant header fields of one request (Host, Content-Length,
/// Transfer-Encoding, Connection, Expect), collected field by field from raw bytes so that no String is
/// lowercased, and turned into a framing decision once the head is complete.
struct HTTPHeadFacts: Sendable {
    enum ContentLength: Sendable, Equatable {
        case absent
        case value(Int)
        /// All digits, but too large for an Int: certainly over any body limit.
        case overflow
        case invalid
    }

    var hostCount = 0
    var hostInvalid = false
    var contentLengthCount = 0
    var contentLength = ContentLength.absent
    var transferEncodingCount = 0
    var transferEncodingIsChunked = false
    var connectionClose = false
    var connectionKeepAlive = false
    var expectContinue = false
    var expectOther = false

    /// Records one header field (name is a token, value already trimmed of OWS).
    mutating func note(name: [UInt8], value: ArraySlice<UInt8>) {
        // Dispatch on length first: most fields are none of these and cost one comparison.
        switch name.count {
        case 4 where HTTPByte.equalsIgnoringCase(name, "host"):
            hostCount += 1
            hostInvalid = hostInvalid || !value.allSatisfy(HTTPByte.isHost)
        case 6 where HTTPByte.equalsIgnoringCase(name, "expect"):
            noteExpect(value)
        case 10 where HTTPByte.equalsIgnoringCase(name, "connection"):
            noteConnection(value)
        case 14 where HTTPByte.equalsIgnoringCase(name, "content-length"):
            contentLengthCount += 1
            contentLength = Self.parseContentLength(value)
        case 17 where HTTPByte.equalsIgnoringCase(name, "transfer-encoding"):
            transferEncodingCount += 1
            transferEncodingIsChunked = HTTPByte.equalsIgnoringCase(value, "chunked")
        default:
            break
        }
    }

    /// `Expect` is a list (RFC 9110 §10.1.1, §5.6.1): empty elements are ignored, so `Expect:` (empty),
    /// `100-continue,` and `100-continue, 100-continue` all mean 100-continue or nothing.
    private mutating func noteExpect(_ value: ArraySlice<UInt8>) {
        for element in value.split(separator: HTTPByte.comma, omittingEmptySubsequences: true) {
            let token = HTTPByte.trimmed(element)
            if token.isEmpty { continue }
            if HTTPByte.equalsIgnoringCase(token, "100-continue") {
                expectContinue = true
            } else {
                expectOther = true
            }
        }
    }

    private mutating func noteConnection(_ value: ArraySlice<UInt8>) {
        for option in value.split(separator: HTTPByte.comma, omittingEmptySubsequences: true) {
            let token = HTTPByte.trimmed(option)
            if HTTPByte.equalsIgnoringCase(token, "close") {
                connectionClose = true
            } else if HTTPByte.equalsIgnoringCase(token, "keep-alive") {
                connectionKeepAlive = true
            }
        }
    }

    /// `1*DIGIT` only: no sign, no inner spaces, no list. Overflow is reported, never trapped.
    static func parseContentLength(_ value: ArraySlice<UInt8>) -> ContentLength {
        guard !value.isEmpty else { return .invalid }
        var result = 0
        var overflowed = false
        for b in value {
            guard b >= 0x30 && b <= 0x39 else { return .invalid }
            if overflowed { continue }
            let (times10, o1) = result.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(b &- 0x30))
            if o1 || o2 { overflowed = true } else { result = sum }
        }
        return overflowed ? .overflow : .value(result)
    }

    /// The framing, keep-alive and expectation of a complete head, or the error that rejects it.
    /// Checks run in a fixed order (400 syntax/framing, 501 coding, 417 expectation) so the answer depends only
    /// on the head, never on how its bytes arrived. The body limit (413) is checked by the caller.
    func decide(version: HTTPVersion) throws(HTTPParseError) -> Decision {
        let isHTTP10 = version.minor == 0
        if hostCount == 0 && !isHTTP10 {
            throw HTTPParseError(.badRequest, "missing Host header")
        }
        if hostCount > 1 {
            throw HTTPParseError(.badRequest, "duplicate Host header")
        }
        if hostInvalid {
            throw HTTPParseError(.badRequest, "invalid Host header")
        }
        var framing = HTTPBodyFraming.none
        var lengthOverflow = false
        if transferEncodingCount > 0 {
            if contentLengthCount > 0 {
                throw HTTPParseError(.badRequest, "both Content-Length and Transfer-Encoding present")
            }
            if isHTTP10 {
                throw HTTPParseError(.badRequest, "Transfer-Encoding in an HTTP/1.0 request")
            }
            if transferEncodingCount > 1 {
                throw HTTPParseError(.notImplemented, "multiple Transfer-Encoding headers not supported")
            }
            if !transferEncodingIsChunked {
                throw HTTPParseError(.notImplemented, "only the chunked transfer coding is supported")
            }
            framing = .chunked
        } else if contentLengthCount > 0 {
            if contentLengthCount > 1 {
                throw HTTPParseError(.badRequest, "duplicate Content-Length header")
            }
            switch contentLength {
            case .value(let n): framing = .contentLength(n)
            case .overflow: lengthOverflow = true
            case .invalid, .absent: throw HTTPParseError(.badRequest, "invalid Content-Length")
            }
        }
        if expectOther {
            throw HTTPParseError(.expectationFailed, "unsupported Expect value")
        }
        let keepAlive = !connectionClose && (!isHTTP10 || connectionKeepAlive)
        let bodyFollows: Bool
        switch framing {
        case .none: bodyFollows = lengthOverflow
        case .contentLength(let n): bodyFollows = n > 0
        case .chunked: bodyFollows = true
        }
        // RFC 9110 §10.1.1: a server must ignore 100-continue from an HTTP/1.0 client.
        let continueWanted = expectContinue && bodyFollows && !isHTTP10
        return Decision(
            framing: framing,
            lengthOverflow: lengthOverflow,
            keepAlive: keepAlive,
            expectContinue: continueWanted
        )
    }

    struct Decision: Sendable {
        var framing: HTTPBodyFraming
        /// Content-Length was valid digits but beyond Int: the caller answers 413.
        var lengthOverflow: Bool
        var keepAlive: Bool
        var expectContinue: Bool
    }
}
