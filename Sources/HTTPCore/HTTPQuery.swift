/// Query-string decoding for routers (`application/x-www-form-urlencoded` rules: `&` separates pairs,
/// `=` separates name from value, `+` is a space, `%HH` is a byte).
public enum HTTPQuery {
    /// The pairs of `query` (the part after `?`), in order. Empty pieces are skipped; a piece without `=` has an
    /// empty value. A name or value whose escapes are malformed (or decode to invalid UTF-8) is kept raw.
    public static func parse(_ query: String) -> [(String, String)] {
        pairs(query).map { (decodeComponent($0) ?? String($0), decodeComponent($1) ?? String($1)) }
    }

    /// Like `parse`, but nil when any name or value has a malformed escape or decodes to invalid UTF-8.
    public static func parseStrict(_ query: String) -> [(String, String)]? {
        var result: [(String, String)] = []
        for (name, value) in pairs(query) {
            guard let n = decodeComponent(name), let v = decodeComponent(value) else { return nil }
            result.append((n, v))
        }
        return result
    }

    /// The first value of `name` in `query` (decoded as by `parse`), or nil.
    public static func value(_ name: String, in query: String) -> String? {
        parse(query).first { $0.0 == name }?.1
    }

    /// Decodes `%HH` escapes (`+` stays `+`, as in a path). Nil when an escape is malformed or the bytes are
    /// not valid UTF-8.
    public static func percentDecode(_ text: String) -> String? {
        percentDecode(text[...], plusIsSpace: false)
    }

    private static func pairs(_ query: String) -> [(Substring, Substring)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { piece in
            if let eq = piece.firstIndex(of: "=") {
                return (piece[..<eq], piece[piece.index(after: eq)...])
            }
            return (piece, piece[piece.endIndex...])
        }
    }

    private static func decodeComponent(_ text: Substring) -> String? {
        percentDecode(text, plusIsSpace: true)
    }

    private static func percentDecode(_ text: Substring, plusIsSpace: Bool) -> String? {
        let utf8 = Array(text.utf8)
        guard utf8.contains(where: { $0 == 0x25 || (plusIsSpace && $0 == 0x2B) }) else { return String(text) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let b = utf8[i]
            if b == 0x25 {
                guard i + 2 < utf8.count, let hi = HTTPByte.hexValue(utf8[i + 1]),
                    let lo = HTTPByte.hexValue(utf8[i + 2])
                else { return nil }
                out.append(UInt8(hi * 16 + lo))
                i += 3
            } else {
                out.append(plusIsSpace && b == 0x2B ? HTTPByte.sp : b)
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}
