// Builders so node code can write responses as literals:
// `let v: JSONValue = ["status": "LLM_SUCCESS", "code": 0, "results": [1, 2]]`.

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByNilLiteral {
    /// `nil` in a `JSONValue` position is JSON `null` (in a `JSONValue?` position it stays Optional.none).
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// An object with the members in literal order (duplicate keys are kept as written).
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

extension JSONValue {
    /// An object with the members in the given order.
    public static func from(_ members: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(JSONObject(members.map { (key: $0.key, value: $0.value) }))
    }
    /// An array of values converted by `transform`, e.g. `.from(ids) { .init($0) }`.
    public static func from<S: Sequence>(_ elements: S, _ transform: (S.Element) -> JSONValue) -> JSONValue {
        .array(elements.map(transform))
    }
    /// `.string(value)`.
    public init(_ value: String) { self = .string(value) }
    /// `.bool(value)`.
    public init(_ value: Bool) { self = .bool(value) }
    /// `.int(value)`.
    public init(_ value: Int) { self = .int(Int64(value)) }
    /// `.int(value)`.
    public init(_ value: Int64) { self = .int(value) }
    /// The canonical form the parser produces: `.int` up to Int64.max, `.uint` above.
    public init(_ value: UInt64) { self = Int64(exactly: value).map { .int($0) } ?? .uint(value) }
    /// `.double(value)`; non-finite values serialize as `null`.
    public init(_ value: Double) { self = .double(value) }
}
