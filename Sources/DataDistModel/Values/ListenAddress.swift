/// An `IP:PORT` address the peer listener binds (`llm.listenIpInfo`): `a.b.c.d:port` or `[v6]:port`.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The IP literal without brackets.
    public var host: String
    public var port: UInt16
    public var isIPv6: Bool { host.contains(":") }

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `127.0.0.1:26000` or `[::1]:26000`.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `IP:PORT` with the contract's error classes: not `IP:PORT` → LLM_PARAM_INVALID, a port that is
    /// not an integer → VALUE_ERROR, a port outside 1...65535 → LLM_PARAM_INVALID. `allowPortZero` admits
    /// port 0 (an ephemeral port; used by command-line flags for tests, never by the API).
    public static func parse(
        _ text: String,
        field: String,
        allowPortZero: Bool = false
    ) throws(APIError) -> ListenAddress {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw .paramInvalid("\(field) '\(text)' is not IP:PORT: missing ']'")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":" else {
                throw .paramInvalid("\(field) '\(text)' is not IP:PORT: expected ':' after ']'")
            }
            portPart = rest.dropFirst()
            guard IPAddressText.isIPv6(hostPart) else {
                throw .paramInvalid("\(field) '\(text)': '\(hostPart)' is not an IPv6 address")
            }
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw .paramInvalid("\(field) '\(text)' is not IP:PORT (IPv4 a.b.c.d:port or [v6]:port)")
            }
            hostPart = parts[0]
            portPart = parts[1]
            guard IPAddressText.isIPv4(hostPart) else {
                throw .paramInvalid("\(field) '\(text)': '\(hostPart)' is not an IPv4 address")
            }
        }
        guard let port = PortText.parse(portPart) else {
            throw .valueError("\(field) '\(text)': port '\(portPart)' is not an integer")
        }
        guard port <= 65535, port >= (allowPortZero ? 0 : 1) else {
            throw .paramInvalid("\(field) '\(text)': port \(port) is outside 1..65535")
        }
        return ListenAddress(host: String(hostPart), port: UInt16(port))
    }
}

/// Integer text of a port: optional sign, then digits; nil when not an integer. Huge values saturate.
enum PortText {
    static func parse(_ text: Substring) -> Int64? {
        var digits = text[...]
        var negative = false
        if let first = digits.first, first == "-" || first == "+" {
            negative = first == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var value: Int64 = 0
        for c in digits.utf8 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(c - 48))
            if o1 || o2 { return negative ? Int64.min : Int64.max }
            value = s
        }
        return negative ? -value : value
    }
}

/// Textual IP literal checks (pure; no resolver).
public enum IPAddressText {
    /// Dotted quad, four decimal octets 0...255 without leading zeros beyond a single "0".
    public static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            guard let v = Int(p), v <= 255 else { return false }
            if p.count > 1 && p.first == "0" { return false }
        }
        return true
    }

    /// RFC 4291 text: up to 8 groups of 1-4 hex digits, at most one "::", optional trailing dotted quad.
    /// Zone ids (`%eth0`) and fullwidth digits (which `Character.isHexDigit` admits) are not accepted.
    public static func isIPv6(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.count <= 45 else { return false }
        var groups = 0
        var body = text[...]
        // An embedded IPv4 tail counts as two groups.
        if let lastColon = body.lastIndex(of: ":"), body[body.index(after: lastColon)...].contains(".") {
            guard isIPv4(body[body.index(after: lastColon)...]) else { return false }
            groups += 2
            body = body[...lastColon]
            // Drop the ':' that separates the tail, unless it belongs to a "::".
            if !body.hasSuffix("::") {
                body = body.dropLast()
                if body.isEmpty { return false }
            }
        }
        let pieces = body.components(separatedByString: "::")
        guard pieces.count <= 2 else { return false }
        for piece in pieces where !piece.isEmpty {
            for group in piece.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), group.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
                    return false
                }
                groups += 1
            }
        }
        return pieces.count == 2 ? groups <= 7 : groups == 8
    }
}

extension Substring {
    fileprivate func components(separatedByString sep: String) -> [Substring] {
        var result: [Substring] = []
        var rest = self[...]
        while let r = rest.firstRange(of: sep) {
            result.append(rest[..<r.lowerBound])
            rest = rest[r.upperBound...]
        }
        result.append(rest)
        return result
    }
}
