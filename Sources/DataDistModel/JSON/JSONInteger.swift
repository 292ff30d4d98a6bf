/// Integer fields of request bodies with Python's split: a value that is not an integer is TYPE_ERROR,
/// an integer outside the allowed range is VALUE_ERROR.
public enum JSONInteger {
    /// An integer in `range`. Integral numbers too large for Int64 (parsed as `.uint` or `.double`) are
    /// VALUE_ERROR; fractions, strings, booleans, null, arrays and objects are TYPE_ERROR.
    public static func int64(
        _ value: JSONValue,
        field: String,
        in range: ClosedRange<Int64> = Int64.min...Int64.max
    ) throws(APIError) -> Int64 {
        switch value {
        case .int(let i):
            guard range.contains(i) else { throw outOfRange(field, "\(i)", range) }
            return i
        case .uint(let u):
            throw outOfRange(field, "\(u)", range)
        case .double(let d) where d.rounded() == d && d.magnitude >= 0x1p63:
            throw outOfRange(field, "\(d)", range)
        default:
            throw .typeError("'\(field)' must be an integer")
        }
    }

    /// An integer in [0, 2^64-1].
    public static func uint64(_ value: JSONValue, field: String) throws(APIError) -> UInt64 {
        switch value {
        case .int(let i):
            guard i >= 0 else { throw .valueError("'\(field)' must be in 0...2^64-1, got \(i)") }
            return UInt64(i)
        case .uint(let u):
            return u
        case .double(let d) where d.rounded() == d && d.magnitude >= 0x1p63:
            throw .valueError("'\(field)' must be in 0...2^64-1, got \(d)")
        default:
            throw .typeError("'\(field)' must be an integer")
        }
    }

    /// An integer in [0, 2^32-1] as Int.
    public static func uint32(_ value: JSONValue, field: String) throws(APIError) -> Int {
        Int(try int64(value, field: field, in: 0...Int64(UInt32.max)))
    }

    private static func outOfRange(_ field: String, _ text: String, _ range: ClosedRange<Int64>) -> APIError {
        .valueError("'\(field)' must be in \(range.lowerBound)...\(range.upperBound), got \(text)")
    }
}
