/// Byte counts written the way operators write them: `1073741824`, `512MiB`, `4GiB`, `64KiB`, `1TiB`
/// (binary units; `KB`/`MB`/`GB`/`TB` are decimal; `B` optional; letter case ignored).
public enum ByteSize {
    public static func parse(_ text: String) -> UInt64? {
        let trimmed = text.trimmingWhitespace
        guard let split = trimmed.firstIndex(where: { !($0.isASCII && $0.isNumber) }) ?? Optional(trimmed.endIndex)
        else { return nil }
        let digits = trimmed[..<split]
        let unit = trimmed[split...].uppercased()
        guard !digits.isEmpty, let value = UInt64(digits) else { return nil }
        let multiplier: UInt64
        switch unit {
        case "", "B": multiplier = 1
        case "K", "KIB": multiplier = 1 << 10
        case "M", "MIB": multiplier = 1 << 20
        case "G", "GIB": multiplier = 1 << 30
        case "T", "TIB": multiplier = 1 << 40
        case "KB": multiplier = 1_000
        case "MB": multiplier = 1_000_000
        case "GB": multiplier = 1_000_000_000
        case "TB": multiplier = 1_000_000_000_000
        default: return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// `1073741824` → `1GiB`; exact binary units only, else plain bytes.
    public static func format(_ bytes: UInt64) -> String {
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")]
        where bytes != 0 && bytes % (1 << UInt64(shift)) == 0 {
            return "\(bytes >> UInt64(shift))\(unit)"
        }
        return "\(bytes)"
    }
}

extension String {
    var trimmingWhitespace: Substring {
        var s = self[...]
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return s
    }
}
