extension JSONValue {
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    /// The value as UInt64 when it is an integer literal in [0, 2^64-1].
    public var uint64Value: UInt64? {
        switch self {
        case .int(let i): i >= 0 ? UInt64(i) : nil
        case .uint(let u): u
        default: nil
        }
    }
    /// The value as Int64 when it is an integer literal in Int64's range.
    public var int64Value: Int64? { if case .int(let i) = self { i } else { nil } }
    /// Any number as a Double (integers above 2^53 round to the nearest Double).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .uint(let u): Double(u)
        case .double(let d): d
        default: nil
        }
    }
    /// True for any number (int, uint, double).
    public var isNumber: Bool {
        switch self {
        case .int, .uint, .double: true
        default: false
        }
    }
    /// True for `null`.
    public var isNull: Bool { self == .null }
    /// The member named `key` when this is an object; nil otherwise or when absent.
    public subscript(_ key: String) -> JSONValue? { objectValue?[key] }
}
