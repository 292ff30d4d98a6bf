/// An HTTP version as it appeared on the request line.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// Header fields in arrival order. Names compare case-insensitively.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }
    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// The first value of `name`, or nil.
    public subscript(_ name: String) -> String? {
        fields.first { $0.name.lowercased() == name.lowercased() }?.value
    }
    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
    public mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }
    /// Replaces every value of `name` with `value`.
    public mutating func replace(_ name: String, _ value: String) {
        fields.removeAll { $0.name.lowercased() == name.lowercased() }
        fields.append((name: name, value: value))
    }
    public var count: Int { fields.count }
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

/// How the body of a message is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Sendable, Equatable {
    case none
    case contentLength(Int)
    case chunked
}

/// A validated request head: request line + header fields + the framing decided from them.
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: String
    /// The raw request-target as sent (origin-form `/path?query`, or `*`, or absolute-form).
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: HTTPBodyFraming
    /// True when the connection may be reused after this exchange (HTTP/1.1 without `Connection: close`,
    /// or HTTP/1.0 with `Connection: keep-alive`).
    public var keepAlive: Bool
    /// True when the client sent `Expect: 100-continue` (case-insensitive) and a body follows.
    public var expectContinue: Bool

    public init(
        method: String,
        target: String,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = [:],
        framing: HTTPBodyFraming = .none,
        keepAlive: Bool = true,
        expectContinue: Bool = false
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectContinue = expectContinue
    }

    /// The path part of the target (before `?`), percent-decoding NOT applied. An absolute-form target
    /// (`http://host/p?q`, RFC 9112 §3.2.2) is served by its path: scheme and authority are left out.
    public var path: String {
        let origin = originForm
        if let q = origin.firstIndex(of: "?") { return String(origin[..<q]) }
        return String(origin)
    }
    /// The query string after `?`, or "" when absent.
    public var query: String {
        let origin = originForm
        if let q = origin.firstIndex(of: "?") { return String(origin[origin.index(after: q)...]) }
        return ""
    }

    /// The target without the `scheme://authority` of an absolute-form target (`/` when its path is empty).
    private var originForm: Substring {
        guard let scheme = target.firstIndex(of: ":"), target[scheme...].hasPrefix("://"),
            target[..<scheme].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }),
            target.first?.isLetter == true
        else { return target[...] }
        let authority = target.index(scheme, offsetBy: 3)
        let rest = target[authority...]
        guard let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        return target[end] == "?" ? Substring("/" + target[end...]) : target[end...]
    }
}

/// A complete request: head plus the whole body (or the sink that already received it).
public struct HTTPRequest: Sendable, Equatable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// The sink the body was streamed into (then `body` is empty); nil when the body was buffered.
    public var sink: (any HTTPBodySink)?

    public init(head: HTTPRequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }

    /// A request whose body went to `sink` as it arrived.
    public init(head: HTTPRequestHead, sink: any HTTPBodySink) {
        self.head = head
        self.body = []
        self.sink = sink
    }

    /// Sinks compare by identity.
    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.head == rhs.head && lhs.body == rhs.body && lhs.sink === rhs.sink
    }
    public var method: String { head.method }
    public var path: String { head.path }
    public var headers: HTTPHeaders { head.headers }
}
