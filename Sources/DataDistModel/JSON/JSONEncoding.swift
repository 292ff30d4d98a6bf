extension JSONValue {
    /// Compact JSON text (no whitespace); object members in stored order; strings escaped per RFC 8259:
    /// `"` and `\` as `\"` `\\`, control characters as `\b \f \n \r \t` or `\u00xx`; `/`, DEL and
    /// non-ASCII left as is. Integers print exactly. Doubles print with Swift's shortest round-trip
    /// `description` (`3.0`, `0.1`, `1e+16`, `-0.0`), which always has a `.` or an exponent, so they
    /// re-parse as `.double`; non-finite doubles print as `null`.
    /// `parse(v.serialized) == v` holds for every value without non-finite doubles, duplicate keys
    /// or a `.uint` at or below Int64.max (which re-parses as the equal `.int`).
    public var serialized: String { String(decoding: serializedBytes, as: UTF8.self) }

    /// `serialized` as UTF-8 bytes, ready to send as a body.
    public var serializedBytes: [UInt8] {
        var out: [UInt8] = []
        serialize(into: &out)
        return out
    }

    /// Appends the compact JSON text of this value to `out`. Iterative, so any nesting depth is safe.
    public func serialize(into out: inout [UInt8]) {
        var open: [OpenSerialization] = []
        var next: JSONValue? = self
        while true {
            if let value = next {
                next = nil
                switch value {
                case .array(let elements):
                    out.append(JSONByte.openBracket)
                    open.append(OpenSerialization(elements: elements))
                case .object(let object):
                    out.append(JSONByte.openBrace)
                    open.append(OpenSerialization(members: object.members))
                default:
                    value.serializeScalar(into: &out)
                }
            }
            guard let top = open.indices.last else { return }
            let index = open[top].index
            if index == open[top].count {
                out.append(open[top].isObject ? JSONByte.closeBrace : JSONByte.closeBracket)
                open.removeLast()
                continue
            }
            if index > 0 { out.append(JSONByte.comma) }
            open[top].index += 1
            if open[top].isObject {
                let member = open[top].members[index]
                Self.serialize(string: member.key, into: &out)
                out.append(JSONByte.colon)
                next = member.value
            } else {
                next = open[top].elements[index]
            }
        }
    }

    /// Appends a value that is neither an array nor an object.
    private func serializeScalar(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: JSONByte.nullLiteral)
        case .bool(let b): out.append(contentsOf: b ? JSONByte.trueLiteral : JSONByte.falseLiteral)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .uint(let u): out.append(contentsOf: String(u).utf8)
        case .double(let d):
            if d.isFinite {
                out.append(contentsOf: d.description.utf8)
            } else {
                out.append(contentsOf: JSONByte.nullLiteral)
            }
        case .string(let s): Self.serialize(string: s, into: &out)
        case .array, .object: assertionFailure("containers are written by serialize(into:)")
        }
    }

    /// Appends `string` as a quoted, escaped JSON string; copies runs that need no escaping at once.
    static func serialize(string: String, into out: inout [UInt8]) {
        out.append(JSONByte.quote)
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == JSONByte.quote || byte == JSONByte.backslash else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                appendEscape(for: byte, into: &out)
                runStart = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        out.append(JSONByte.quote)
    }

    private static func appendEscape(for byte: UInt8, into out: inout [UInt8]) {
        out.append(JSONByte.backslash)
        switch byte {
        case JSONByte.quote: out.append(JSONByte.quote)
        case JSONByte.backslash: out.append(JSONByte.backslash)
        case 0x08: out.append(JSONByte.b)
        case 0x0C: out.append(JSONByte.f)
        case 0x0A: out.append(JSONByte.n)
        case 0x0D: out.append(JSONByte.r)
        case 0x09: out.append(JSONByte.t)
        default:
            let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
            out.append(contentsOf: [JSONByte.u, JSONByte.zero, JSONByte.zero])
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
    }
}

/// An array or object whose members are being written; the serializer keeps these on an explicit
/// stack so nesting depth never touches the call stack.
private struct OpenSerialization {
    let isObject: Bool
    let elements: [JSONValue]
    let members: [(key: String, value: JSONValue)]
    let count: Int
    var index = 0

    init(elements: [JSONValue]) {
        isObject = false
        self.elements = elements
        members = []
        count = elements.count
    }

    init(members: [(key: String, value: JSONValue)]) {
        isObject = true
        elements = []
        self.members = members
        count = members.count
    }
}
