import HTTPCore

/// A bearer token check (CONTRACT §8). The token is never logged or echoed.
struct BearerToken: Sendable {
    private let expected: [UInt8]

    init(_ token: String) { expected = Array(token.utf8) }

    /// True when `Authorization: Bearer <token>` matches, compared in constant time.
    func accepts(_ headers: HTTPHeaders) -> Bool {
        guard let value = headers["Authorization"] else { return false }
        let prefix = "bearer "
        guard value.count > prefix.count, value.prefix(prefix.count).lowercased() == prefix else { return false }
        let presented = Array(value.utf8.dropFirst(prefix.utf8.count))
        return Self.constantTimeEquals(presented, expected)
    }

    /// Compares every byte of the longer input whatever the contents, so timing shows only lengths.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count) | UInt8(truncatingIfNeeded: (a.count ^ b.count) >> 8)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= x ^ y
        }
        return diff == 0 && a.count == b.count
    }
}
