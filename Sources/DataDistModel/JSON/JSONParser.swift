extension JSONValue {
    /// Parses one JSON text (RFC 8259, UTF-8). Strict: no trailing commas, no comments, no leading zeros,
    /// no byte order mark, no trailing garbage, no duplicate object keys (keys equal as Swift `String`s,
    /// the equality `JSONObject`'s subscript uses), nesting depth ≤ `maxDepth`, unpaired surrogates,
    /// invalid UTF-8 and control characters in strings rejected, numbers outside Double's finite range
    /// rejected. Integer literals become `.int` when they fit Int64, `.uint` when they fit UInt64 only,
    /// `.double` otherwise. Never traps. Parsing and `serialize` are iterative, but Swift destroys and
    /// compares nested values recursively, so keep `maxDepth` in the hundreds (default 64).
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in try parse(buffer, maxDepth: maxDepth) }
    }
    public static func parse(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        var text = text
        // `withUTF8` is `rethrows`, which erases a typed error: the outcome leaves the closure as a value.
        let outcome = text.withUTF8 { buffer in
            Result { () throws(JSONParseError) in try parse(buffer, maxDepth: maxDepth) }
        }
        return try outcome.get()
    }
    /// Parses JSON straight from borrowed bytes (for example a request body) without copying them.
    public static func parse(
        _ buffer: UnsafeBufferPointer<UInt8>,
        maxDepth: Int = 64
    ) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(buffer, maxDepth: maxDepth)
        return try parser.parseDocument()
    }
}

/// A container whose members are still being read; the parser keeps these on an explicit stack
/// instead of recursing, so nesting depth never touches the call stack.
private struct OpenContainer {
    var isObject: Bool
    var elements: [JSONValue] = []
    var members: [(key: String, value: JSONValue)] = []
    /// The key whose value is being read (objects only).
    var pendingKey = ""
    /// Keys seen so far, built only once an object grows past `linearKeyScanLimit` members.
    var keySet: Set<String>? = nil
}

/// Objects up to this many members check duplicates by a linear scan, which beats hashing there.
private let linearKeyScanLimit = 16

/// Single-pass scanner over borrowed UTF-8 bytes.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var pos = 0
    /// Reused buffer for strings that contain escapes.
    private var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if bytes.isEmpty { throw JSONParseError(offset: 0, reason: "empty input") }
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            throw JSONParseError(offset: 0, reason: "byte order mark not allowed")
        }
        var stack: [OpenContainer] = []
        readValue: while true {
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unexpected end of input, expected a value") }
            var value: JSONValue
            switch bytes[pos] {
            case JSONByte.openBracket:
                try checkDepth(stack.count)
                pos += 1
                skipWhitespace()
                if pos < bytes.count, bytes[pos] == JSONByte.closeBracket {
                    pos += 1
                    value = .array([])
                } else {
                    stack.append(OpenContainer(isObject: false))
                    continue readValue
                }
            case JSONByte.openBrace:
                try checkDepth(stack.count)
                pos += 1
                skipWhitespace()
                if pos < bytes.count, bytes[pos] == JSONByte.closeBrace {
                    pos += 1
                    value = .object(JSONObject())
                } else {
                    var container = OpenContainer(isObject: true)
                    container.pendingKey = try parseKey()
                    stack.append(container)
                    continue readValue
                }
            case JSONByte.quote:
                value = .string(try parseString())
            case JSONByte.t:
                try expectLiteral(JSONByte.trueLiteral)
                value = .bool(true)
            case JSONByte.f:
                try expectLiteral(JSONByte.falseLiteral)
                value = .bool(false)
            case JSONByte.n:
                try expectLiteral(JSONByte.nullLiteral)
                value = .null
            case JSONByte.minus, JSONByte.zero...JSONByte.nine:
                value = try parseNumber()
            default:
                throw fail("unexpected byte \(hex(bytes[pos])), expected a value")
            }
            // Attach the finished value to its container; close containers as their ends arrive.
            while true {
                guard let top = stack.indices.last else {
                    skipWhitespace()
                    if pos < bytes.count { throw fail("unexpected byte \(hex(bytes[pos])) after the JSON value") }
                    return value
                }
                if stack[top].isObject {
                    stack[top].members.append((key: stack[top].pendingKey, value: value))
                } else {
                    stack[top].elements.append(value)
                }
                skipWhitespace()
                guard pos < bytes.count else { throw fail("unexpected end of input inside a container") }
                let byte = bytes[pos]
                if byte == JSONByte.comma {
                    pos += 1
                    if stack[top].isObject {
                        let keyOffset = skippingWhitespaceOffset()
                        let key = try parseKey()
                        if isDuplicate(key, in: &stack[top]) {
                            throw JSONParseError(offset: keyOffset, reason: "duplicate object key")
                        }
                        stack[top].pendingKey = key
                    }
                    continue readValue
                }
                if stack[top].isObject, byte == JSONByte.closeBrace {
                    pos += 1
                    value = .object(JSONObject(stack.removeLast().members))
                } else if !stack[top].isObject, byte == JSONByte.closeBracket {
                    pos += 1
                    value = .array(stack.removeLast().elements)
                } else {
                    let expected = stack[top].isObject ? "',' or '}'" : "',' or ']'"
                    throw fail("unexpected byte \(hex(byte)), expected \(expected)")
                }
            }
        }
    }

    // MARK: - Structure

    private func checkDepth(_ openContainers: Int) throws(JSONParseError) {
        if openContainers >= maxDepth { throw fail("nesting deeper than \(maxDepth)") }
    }

    /// Reads `"key"` and the `:` after it.
    private mutating func parseKey() throws(JSONParseError) -> String {
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == JSONByte.quote else { throw fail("expected a string key") }
        let key = try parseString()
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == JSONByte.colon else { throw fail("expected ':' after an object key") }
        pos += 1
        return key
    }

    private func isDuplicate(_ key: String, in container: inout OpenContainer) -> Bool {
        if container.members.count < linearKeyScanLimit {
            return container.members.contains { $0.key == key }
        }
        if container.keySet == nil { container.keySet = Set(container.members.map(\.key)) }
        return container.keySet?.insert(key).inserted == false
    }

    private mutating func expectLiteral(_ literal: [UInt8]) throws(JSONParseError) {
        for (index, expected) in literal.enumerated() {
            guard pos + index < bytes.count, bytes[pos + index] == expected else {
                throw JSONParseError(offset: pos + index, reason: "invalid literal, expected a value")
            }
        }
        pos += literal.count
    }

    // MARK: - Numbers

    /// Validates `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` and converts it.
    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = pos
        var index = pos
        let negative = bytes[index] == JSONByte.minus
        if negative { index += 1 }
        let digitsStart = index
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw JSONParseError(offset: index, reason: "expected a digit")
        }
        if bytes[index] == JSONByte.zero {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) {
                throw JSONParseError(offset: index, reason: "leading zeros not allowed")
            }
        } else {
            index = skipDigits(from: index)
        }
        let digitsEnd = index
        var isInteger = true
        if index < bytes.count, bytes[index] == JSONByte.dot {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw JSONParseError(offset: index, reason: "expected a digit after '.'")
            }
            index = skipDigits(from: index)
            isInteger = false
        }
        if index < bytes.count, bytes[index] == JSONByte.e || bytes[index] == JSONByte.upperE {
            index += 1
            if index < bytes.count, bytes[index] == JSONByte.plus || bytes[index] == JSONByte.minus { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw JSONParseError(offset: index, reason: "expected a digit in the exponent")
            }
            index = skipDigits(from: index)
            isInteger = false
        }
        pos = index
        if isInteger, let integer = integerValue(digitsStart..<digitsEnd, negative: negative) {
            return integer
        }
        let literal = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        // Double(String) is correctly rounded; the literal was validated above.
        guard let double = Double(literal), double.isFinite else {
            throw JSONParseError(offset: start, reason: "number out of range")
        }
        return .double(double)
    }

    /// `.int` or `.uint` for an integer literal whose magnitude is exact; nil when it needs a Double.
    private func integerValue(_ digits: Range<Int>, negative: Bool) -> JSONValue? {
        var magnitude: UInt64 = 0
        for index in digits {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] &- JSONByte.zero))
            if overflow1 || overflow2 { return nil }
            magnitude = sum
        }
        if negative {
            if magnitude <= UInt64(Int64.max) { return .int(-Int64(magnitude)) }
            if magnitude == UInt64(Int64.max) + 1 { return .int(Int64.min) }
            return nil
        }
        if magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
        return .uint(magnitude)
    }

    private func skipDigits(from start: Int) -> Int {
        var index = start
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        return index
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= JSONByte.zero && byte <= JSONByte.nine }

    // MARK: - Strings

    /// Reads a string starting at the opening quote at `pos`.
    private mutating func parseString() throws(JSONParseError) -> String {
        let open = pos
        let start = pos + 1
        var index = start
        // Fast path: no escapes, the string is a plain slice of the input.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == JSONByte.quote {
                pos = index + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            }
            if byte == JSONByte.backslash { break }
            index = try advanceOverCharacter(at: index)
        }
        guard index < bytes.count else { throw JSONParseError(offset: open, reason: "unterminated string") }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        var runStart = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == JSONByte.quote {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                pos = index + 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == JSONByte.backslash {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                index = try appendEscape(at: index)
                runStart = index
            } else {
                index = try advanceOverCharacter(at: index)
            }
        }
        throw JSONParseError(offset: open, reason: "unterminated string")
    }

    /// Validates one unescaped character (control characters and ill-formed UTF-8 rejected) and
    /// returns the index after it.
    private func advanceOverCharacter(at index: Int) throws(JSONParseError) -> Int {
        let byte = bytes[index]
        if byte < 0x20 { throw JSONParseError(offset: index, reason: "control character in string") }
        if byte < 0x80 { return index + 1 }
        guard let length = utf8SequenceLength(at: index) else {
            throw JSONParseError(offset: index, reason: "invalid UTF-8")
        }
        return index + length
    }

    /// Length of the well-formed UTF-8 sequence at `index` (Unicode Table 3-7: no overlongs, no
    /// surrogates, nothing above U+10FFFF), or nil.
    private func utf8SequenceLength(at index: Int) -> Int? {
        let lead = bytes[index]
        var length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xE1...0xEF: length = 3
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        case 0xF1...0xF3: length = 4
        default: return nil
        }
        guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else { return nil }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { return nil }
        return length
    }

    /// Decodes the escape at the backslash at `index` into `scratch`; returns the index after it.
    private mutating func appendEscape(at index: Int) throws(JSONParseError) -> Int {
        guard index + 1 < bytes.count else { throw JSONParseError(offset: index, reason: "unterminated string") }
        let simple: UInt8
        switch bytes[index + 1] {
        case JSONByte.quote: simple = JSONByte.quote
        case JSONByte.backslash: simple = JSONByte.backslash
        case JSONByte.slash: simple = JSONByte.slash
        case JSONByte.b: simple = 0x08
        case JSONByte.f: simple = 0x0C
        case JSONByte.n: simple = 0x0A
        case JSONByte.r: simple = 0x0D
        case JSONByte.t: simple = 0x09
        case JSONByte.u: return try appendUnicodeEscape(at: index)
        default: throw JSONParseError(offset: index, reason: "invalid escape")
        }
        scratch.append(simple)
        return index + 2
    }

    /// Decodes `\uXXXX` (and its low-surrogate partner) at `index`; returns the index after it.
    private mutating func appendUnicodeEscape(at index: Int) throws(JSONParseError) -> Int {
        let unit = try hexQuad(at: index + 2)
        var scalarValue = UInt32(unit)
        var end = index + 6
        if (0xDC00...0xDFFF).contains(unit) {
            throw JSONParseError(offset: index, reason: "unpaired surrogate")
        }
        if (0xD800...0xDBFF).contains(unit) {
            guard end + 1 < bytes.count, bytes[end] == JSONByte.backslash, bytes[end + 1] == JSONByte.u else {
                throw JSONParseError(offset: index, reason: "unpaired surrogate")
            }
            let low = try hexQuad(at: end + 2)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw JSONParseError(offset: index, reason: "unpaired surrogate")
            }
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            end += 6
        }
        // Surrogates were handled above, so every value here is a scalar.
        guard let scalar = Unicode.Scalar(scalarValue) else {
            throw JSONParseError(offset: index, reason: "invalid unicode escape")
        }
        scratch.append(contentsOf: UTF8.encode(scalar) ?? UTF8.EncodedScalar())
        return end
    }

    private func hexQuad(at index: Int) throws(JSONParseError) -> UInt16 {
        guard index + 4 <= bytes.count else { throw JSONParseError(offset: index, reason: "invalid unicode escape") }
        var value: UInt16 = 0
        for offset in 0..<4 {
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case JSONByte.zero...JSONByte.nine: digit = byte - JSONByte.zero
            case 0x61...0x66: digit = byte - 0x61 + 10
            case 0x41...0x46: digit = byte - 0x41 + 10
            default: throw JSONParseError(offset: index + offset, reason: "invalid unicode escape")
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    // MARK: - Helpers

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    private mutating func skippingWhitespaceOffset() -> Int {
        skipWhitespace()
        return pos
    }

    private func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: pos, reason: reason) }

    private func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0xF)])"
    }
}
