import HTTPCore
import Testing

/// One corpus entry: raw request bytes and the rendered events they must produce (see `render`).
struct ParserCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let expected: [String]
    var limits = HTTPLimits()
    var bodyLimit: Int?
    /// Call `finish()` after the last byte (peer closed).
    var eof = false

    init(
        _ name: String,
        _ raw: String,
        _ expected: [String],
        limits: HTTPLimits = HTTPLimits(),
        bodyLimit: Int? = nil,
        eof: Bool = false
    ) {
        self.init(name, bytes: Array(raw.utf8), expected, limits: limits, bodyLimit: bodyLimit, eof: eof)
    }

    init(
        _ name: String,
        bytes: [UInt8],
        _ expected: [String],
        limits: HTTPLimits = HTTPLimits(),
        bodyLimit: Int? = nil,
        eof: Bool = false
    ) {
        self.name = name
        self.bytes = bytes
        self.expected = expected
        self.limits = limits
        self.bodyLimit = bodyLimit
        self.eof = eof
    }

    var testDescription: String { name }

    func run(_ split: FeedSplit, entry: FeedEntry = .events) -> [HTTPParserEvent] {
        parseEvents(bytes, split: split, entry: entry, limits: limits, bodyLimit: bodyLimit, eof: eof)
    }
}

/// Limits with one field changed, for corpus entries about limits.
func limits(target: Int? = nil, headerBytes: Int? = nil, headerCount: Int? = nil) -> HTTPLimits {
    var l = HTTPLimits()
    if let target { l.maxTargetBytes = target }
    if let headerBytes { l.maxHeaderBytes = headerBytes }
    if let headerCount { l.maxHeaderCount = headerCount }
    return l
}
