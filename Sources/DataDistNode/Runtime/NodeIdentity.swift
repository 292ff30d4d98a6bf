/// Constants that identify this build and process on the wire.
public enum DataDistVersion {
    public static let string = "0.1.0"
}

/// A random 128-bit id per process start: a restarted node is recognisable by a new boot id.
public enum BootID {
    public static func make() -> String {
        var rng = SystemRandomNumberGenerator()
        let hi = rng.next() as UInt64
        let lo = rng.next() as UInt64
        return hex16(hi) + hex16(lo)
    }
    private static func hex16(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
