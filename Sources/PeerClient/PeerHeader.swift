/// One HTTP header field. Response headers carry lower-cased names.
public struct PeerHeader: Sendable, Hashable {
    /// Field name (lower case in responses).
    public var name: String
    /// Field value, without surrounding whitespace.
    public var value: String

    /// Creates a header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == PeerHeader {
    /// The value of the first field named `name` (compared case-insensitively).
    public func value(named name: String) -> String? {
        let wanted = name.lowercased()
        return first { $0.name.lowercased() == wanted }?.value
    }
}
