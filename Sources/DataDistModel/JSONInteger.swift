/// Integer fields of request bodies with Python's split: a value that is not an integer is TYPE_ERROR,
/// an integer outside the allowed range is VALUE_ERROR.
public enum JSONInteger {
    /// An integer in `range`. Integral numbers too large for Int64 (parsed as `.uint` or `.double`) are
    /// VALUE_ERROR; fractions, strings, booleans, null, arrays and objects are TYPE_ERROR.
    public static func int64(
        _ value: JSONValue,
        field: String,
        in range: ClosedRange<Int64> = Int64.min...Int64.max
    ) -> Result<Int64, APIError> {
        switch value {
        case .int(let i):
            guard range.contains(i) else { return .failure(outOfRange(field, "\(i)", range)) }
            return .success(i)
        case .uint(let u):
            return .failure(outOfRange(field, "\(u)", range))
        case .double(let d) where d.rounded() == d && d.magnitude >= 0x1p63:
            return .failure(outOfRange(field, "\(d)", range))
        default:
            return .failure(.typeError("'\(field)' must be an integer"))
        }
    }

    /// An integer in [0, 2^64-1].
    public static func uint64(_ value: JSONValue, field: String) -> Result<UInt64, APIError> {
        switch value {
        case .int(let i):
            guard i >= 0 else { return .failure(.valueError("'\(field)' must be in 0...2^64-1, got \(i)")) }
            return .success(UInt64(i))
        case .uint(let u):
            return .success(u)
        case .double(let d) where d.rounded() == d && d.magnitude >= 0x1p63:
            return .failure(.valueError("'\(field)' must be in 0...2^64-1, got \(d)"))
        default:
            return .failure(.typeError("'\(field)' must be an integer"))
        }
    }

    /// An integer in [0, 2^32-1] as Int.
    public static func uint32(_ value: JSONValue, field: String) -> Result<Int, APIError> {
        int64(value, field: field, in: 0...Int64(UInt32.max)).map { Int($0) }
    }

    private static func outOfRange(_ field: String, _ text: String, _ range: ClosedRange<Int64>) -> APIError {
        .valueError("'\(field)' must be in \(range.lowerBound)...\(range.upperBound), got \(text)")
    }
}
