/// Byte classes of RFC 9110/9112 grammar, as branch-cheap predicates used by the parser's scanning loops.
enum HTTPByte {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let comma: UInt8 = 0x2C

    /// `tchar`: ALPHA / DIGIT / one of ``!#$%&'*+-.^_`|~``.
    @inline(__always)
    static func isToken(_ b: UInt8) -> Bool {
        switch b {
        case 0x61...0x7A, 0x41...0x5A, 0x30...0x39: true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
        default: false
        }
    }

    /// A request-target byte: anything visible (no space, no control, no DEL). obs-text is tolerated.
    @inline(__always)
    static func isTarget(_ b: UInt8) -> Bool { b > 0x20 && b != 0x7F }

    /// A field-value byte: HTAB, SP, VCHAR, obs-text. Excludes NUL, CR, LF, other controls and DEL.
    @inline(__always)
    /// `uri-host [":" port]` bytes (RFC 3986 reg-name / IPv4 / IP-literal): unreserved, pct-encoded, sub-delims,
    /// `:` and the brackets of an IP literal. Whitespace, `/`, `@`, `?`, `#` and controls are not among them.
    static func isHost(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true  // DIGIT ALPHA
        case 0x2D, 0x2E, 0x5F, 0x7E, 0x25: true  // - . _ ~ %
        case 0x21, 0x24, 0x26...0x2C, 0x3B, 0x3D: true  // ! $ & ' ( ) * + , ; =
        case 0x3A, 0x5B, 0x5D: true  // : [ ]
        default: false
        }
    }

    static func isFieldValue(_ b: UInt8) -> Bool { (b >= 0x20 && b != 0x7F) || b == htab }

    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }

    /// The value of a hex digit, or nil.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b &- 0x30)
        case 0x61...0x66: Int(b &- 0x61 &+ 10)
        case 0x41...0x46: Int(b &- 0x41 &+ 10)
        default: nil
        }
    }

    @inline(__always)
    static func lowercased(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// True when `bytes` equals the lowercase ASCII `literal` ignoring ASCII case.
    static func equalsIgnoringCase(_ bytes: some Collection<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        return literal.withUTF8Buffer { lit in
            var k = 0
            for b in bytes {
                if lowercased(b) != lit[k] { return false }
                k += 1
            }
            return true
        }
    }

    /// `bytes` with leading and trailing SP/HTAB removed.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lo = bytes.startIndex
        var hi = bytes.endIndex
        while lo < hi, isWhitespace(bytes[lo]) { lo += 1 }
        while hi > lo, isWhitespace(bytes[hi - 1]) { hi -= 1 }
        return bytes[lo..<hi]
    }
}
