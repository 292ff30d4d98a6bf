import DataDistModel
import Testing

/// The error thrown for `text`, or nil when it parses.
func parseError(_ text: String, maxDepth: Int = 64) -> JSONParseError? {
    do {
        _ = try JSONValue.parse(text, maxDepth: maxDepth)
        return nil
    } catch {
        return error
    }
}

@Test func errorsCarryByteOffsetAndReason() throws {
    let cases: [(text: String, offset: Int, reason: String)] = [
        ("", 0, "empty input"),
        ("[1,]", 3, "unexpected byte 0x5D, expected a value"),
        (#"{"a" 1}"#, 5, "expected ':' after an object key"),
        (#"{"a":1,}"#, 7, "expected a string key"),
        ("[1 2]", 3, "unexpected byte 0x32, expected ',' or ']'"),
        ("[1] x", 4, "unexpected byte 0x78 after the JSON value"),
        ("01", 1, "leading zeros not allowed"),
        ("1.", 2, "expected a digit after '.'"),
        ("1e+", 3, "expected a digit in the exponent"),
        (#"["ab"#, 1, "unterminated string"),
        ("\"a\nb\"", 2, "control character in string"),
        (#""\uD800x""#, 1, "unpaired surrogate"),
        (#""\q""#, 1, "invalid escape"),
        ("[1e400]", 1, "number out of range"),
        ("[", 1, "unexpected end of input, expected a value"),
        (#"{"a":1"#, 6, "unexpected end of input inside a container"),
        ("nulx", 3, "invalid literal, expected a value"),
    ]
    for testCase in cases {
        let error = try #require(parseError(testCase.text), "accepted \(testCase.text)")
        #expect(error.offset == testCase.offset, "\(testCase.text)")
        #expect(error.reason == testCase.reason, "\(testCase.text)")
    }
}

@Test func invalidUTF8ReportsOffsetOfBadByte() {
    #expect(throws: JSONParseError(offset: 3, reason: "invalid UTF-8")) {
        try JSONValue.parse([0x22, 0x61, 0x62, 0xC0, 0xAF, 0x22])
    }
}

@Test func byteOrderMarkIsRejectedByName() {
    #expect(throws: JSONParseError(offset: 0, reason: "byte order mark not allowed")) {
        try JSONValue.parse([0xEF, 0xBB, 0xBF, 0x5B, 0x5D])
    }
}

@Test func errorDescriptionNamesOffsetAndReason() throws {
    let error = try #require(parseError("[1,]"))
    #expect(error.description == "invalid JSON at byte 3: unexpected byte 0x5D, expected a value")
}
