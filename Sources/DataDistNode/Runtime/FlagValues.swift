import ArgumentParser
import DataDistModel
import Logging

/// The type of a `datadist serve` flag's value. One parser gives both ArgumentParser's conversion and the
/// one-line complaint that names the flag, so a bad value reads the same from the command line and from
/// `DATADIST_*` and does not depend on ArgumentParser's wording.
public protocol FlagValue: ExpressibleByArgument, CheckedFlagValue {
    static func parse(_ text: String, flag: String) throws(ServeSettings.Invalid) -> Self
}

extension FlagValue {
    public init?(argument: String) {
        guard let value = try? Self.parse(argument, flag: "") else { return nil }
        self = value
    }

    public static func check(_ text: String, flag: String) throws(ServeSettings.Invalid) {
        _ = try parse(text, flag: flag)
    }
}

/// What `ServeSettings` can check before ArgumentParser sees a value: a `FlagValue` or an optional one.
public protocol CheckedFlagValue {
    static func check(_ text: String, flag: String) throws(ServeSettings.Invalid)
}

extension Optional: CheckedFlagValue where Wrapped: FlagValue {
    public static func check(_ text: String, flag: String) throws(ServeSettings.Invalid) {
        _ = try Wrapped.parse(text, flag: flag)
    }
}

extension UInt64: FlagValue {
    public static func parse(_ text: String, flag: String) throws(ServeSettings.Invalid) -> UInt64 {
        guard let v = UInt64(text) else {
            throw .init(message: "\(flag): '\(text)' is not an integer in 0...18446744073709551615")
        }
        return v
    }
}

/// Ranges are per flag; `ServeFlags.configuration()` checks them.
extension Int: FlagValue {
    public static func parse(_ text: String, flag: String) throws(ServeSettings.Invalid) -> Int {
        guard let v = Int(text) else { throw .init(message: "\(flag): '\(text)' is not an integer") }
        return v
    }
}

extension String: FlagValue {
    public static func parse(_ text: String, flag: String) throws(ServeSettings.Invalid) -> String { text }
}

extension Role: FlagValue {
    /// Explicit: `RawRepresentable` offers a second `init?(argument:)` (raw values only).
    public init?(argument: String) { self.init(parsing: argument) }
    public static var allValueStrings: [String] { allCases.map { $0.rawValue.lowercased() } }
    public var defaultValueDescription: String { rawValue.lowercased() }

    public static func parse(_ text: String, flag: String) throws(ServeSettings.Invalid) -> Role {
        guard let r = Role(parsing: text) else {
            throw .init(message: "\(flag): '\(text)' is not prompt, decoder or mix")
        }
        return r
    }
}

/// `IP:PORT`; port 0 (ephemeral) is allowed on the command line.
extension ListenAddress: FlagValue {
    public static func parse(_ text: String, flag: String) throws(ServeSettings.Invalid) -> ListenAddress {
        do {
            return try ListenAddress.parse(text, field: flag, allowPortZero: true)
        } catch {
            throw .init(message: error.message)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument, FlagValue {
    /// Explicit: `RawRepresentable` offers a second `init?(argument:)` (lower case only).
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }

    public static func parse(_ text: String, flag: String) throws(ServeSettings.Invalid) -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw .init(
                message: "\(flag): '\(text)' is not one of trace, debug, info, notice, warning, error, critical"
            )
        }
        return level
    }
}

/// A positive byte count written as `1073741824`, `512MiB` or `4GiB` (`ByteSize`).
public struct ByteCount: FlagValue, Sendable, Equatable, CustomStringConvertible {
    public var bytes: UInt64

    public init(_ bytes: UInt64) { self.bytes = bytes }

    public static func parse(_ text: String, flag: String) throws(ServeSettings.Invalid) -> ByteCount {
        guard let v = ByteSize.parse(text), v > 0 else {
            throw .init(message: "\(flag): '\(text)' is not a byte size (e.g. 1073741824, 512MiB, 4GiB)")
        }
        return ByteCount(v)
    }

    /// The largest binary unit that divides the count, so defaults read as `1GiB` in `--help`.
    public var description: String {
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return "\(bytes)"
    }
}

/// `0[,1,...]`: device ids in 0...65535 (duplicates are a configuration error, `NodeConfiguration.validate`).
public struct DeviceIDs: FlagValue, Sendable, Equatable, CustomStringConvertible {
    public var ids: [Int]

    public init(_ ids: [Int]) { self.ids = ids }

    public static func parse(_ text: String, flag: String) throws(ServeSettings.Invalid) -> DeviceIDs {
        var ids: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let id = Int(part.trimmingSpaces), (0...65535).contains(id) else {
                throw .init(message: "\(flag): '\(text)' is not a comma-separated list of device ids")
            }
            ids.append(id)
        }
        return DeviceIDs(ids)
    }

    public var description: String { ids.map(String.init).joined(separator: ",") }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

extension CompatProfile: FlagValue {
    /// Explicit: `RawRepresentable` offers a second `init?(argument:)` (raw values only).
    public init?(argument: String) { self.init(parsing: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
    public var defaultValueDescription: String { rawValue }

    public static func parse(_ text: String, flag: String) throws(ServeSettings.Invalid) -> CompatProfile {
        guard let p = CompatProfile(parsing: text) else {
            throw .init(message: "\(flag): '\(text)' is not documented, cache-manager or legacy")
        }
        return p
    }
}

/// Octal permission bits, `0600` or `640`, at most `0777`.
public struct FileMode: FlagValue, Sendable, Equatable, CustomStringConvertible {
    public var bits: UInt32

    public init(_ bits: UInt32) { self.bits = bits }

    public static func parse(_ text: String, flag: String) throws(ServeSettings.Invalid) -> FileMode {
        guard let v = UInt32(text, radix: 8), v <= 0o777 else {
            throw .init(message: "\(flag): '\(text)' is not an octal mode in 0...0777 (e.g. 0600)")
        }
        return FileMode(v)
    }

    public var description: String { "0" + String(bits, radix: 8) }
}
