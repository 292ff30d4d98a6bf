extension JSONValue {
    /// Parses one JSON text (RFC 8259, UTF-8). Strict: no trailing commas, no comments, no leading zeros,
    /// no trailing garbage, no duplicate object keys, nesting depth ≤ `maxDepth`, unpaired surrogates and
    /// control characters in strings rejected. Never traps.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        throw JSONParseError(offset: 0, reason: "not implemented")
    }
    public static func parse(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }
}
