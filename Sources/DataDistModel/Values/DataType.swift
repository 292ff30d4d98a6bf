/// An element type of a cache tensor (CONTRACT §6), with its size in bytes.
public enum DataType: String, Sendable, CaseIterable, Equatable {
    case float = "DT_FLOAT"
    case float16 = "DT_FLOAT16"
    case bf16 = "DT_BF16"
    case int8 = "DT_INT8"
    case uint8 = "DT_UINT8"
    case int16 = "DT_INT16"
    case uint16 = "DT_UINT16"
    case int32 = "DT_INT32"
    case uint32 = "DT_UINT32"
    case int64 = "DT_INT64"
    case uint64 = "DT_UINT64"
    case double = "DT_DOUBLE"
    case bool = "DT_BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .float16, .bf16, .int16, .uint16: 2
        case .float, .int32, .uint32: 4
        case .int64, .uint64, .double: 8
        }
    }

    /// Accepts the wire names in any ASCII letter case ("DT_FLOAT16", "dt_float16").
    public init?(parsing text: String) {
        guard text.allSatisfy(\.isASCII), let value = DataType(rawValue: text.uppercased()) else { return nil }
        self = value
    }
}

/// Which pool a cache lives in. On a machine without an accelerator both pools are host RAM.
public enum Placement: String, Sendable, CaseIterable, Equatable {
    case device = "DEVICE"
    case host = "HOST"

    /// Accepts any ASCII letter case; answers upper case (`rawValue`).
    public init?(parsing text: String) {
        guard text.allSatisfy(\.isASCII), let value = Placement(rawValue: text.uppercased()) else { return nil }
        self = value
    }
}
