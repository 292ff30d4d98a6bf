import DataDistModel
import Testing

@Test func integerBoundariesKeepExactValues() throws {
    let cases: [(text: String, value: JSONValue)] = [
        ("9007199254740993", .int(9_007_199_254_740_993)),  // 2^53 + 1: not representable as Double
        ("9223372036854775807", .int(Int64.max)),
        ("9223372036854775808", .uint(9_223_372_036_854_775_808)),  // Int64.max + 1
        ("18446744073709551615", .uint(UInt64.max)),
        ("18446744073709551616", .double(18_446_744_073_709_551_616.0)),  // UInt64.max + 1
        ("99999999999999999999999", .double(1e23)),
        ("-9223372036854775808", .int(Int64.min)),
        ("-9223372036854775809", .double(-9_223_372_036_854_775_809.0)),
        ("-18446744073709551616", .double(-18_446_744_073_709_551_616.0)),
        ("-1", .int(-1)),
    ]
    for testCase in cases {
        let parsed = try JSONValue.parse(testCase.text)
        #expect(parsed == testCase.value, "\(testCase.text)")
    }
}

@Test func uint64MaxRoundTripsExactly() throws {
    let value = try JSONValue.parse("[18446744073709551615]")
    #expect(value.arrayValue?.first?.uint64Value == UInt64.max)
    #expect(value.serialized == "[18446744073709551615]")
}

@Test func integerAccessorsFollowRanges() throws {
    #expect(try JSONValue.parse("9223372036854775808").uint64Value == 9_223_372_036_854_775_808)
    #expect(try JSONValue.parse("9223372036854775808").int64Value == nil)
    #expect(try JSONValue.parse("-1").uint64Value == nil)
    #expect(try JSONValue.parse("-1").int64Value == -1)
    #expect(try JSONValue.parse("1.0").uint64Value == nil)
    #expect(try JSONValue.parse("1e2").int64Value == nil)
    #expect(try JSONValue.parse("7").doubleValue == 7)
    #expect(try JSONValue.parse("\"7\"").doubleValue == nil)
}

@Test func doublesAreCorrectlyRounded() throws {
    let cases: [(text: String, value: Double)] = [
        ("0.1", 0.1),
        ("2.2250738585072011e-308", Double(bitPattern: 0x000F_FFFF_FFFF_FFFF)),  // largest subnormal
        ("9007199254740993.0", 9_007_199_254_740_992),  // halfway: ties to even
        ("1.00000000000000011102230246251565404236316680908203125", 1.0),  // exact halfway: ties to even
        ("1.00000000000000011102230246251565404236316680908203126", 1.0000000000000002),  // just above halfway
        ("123456789012345678901234567890e-10", 12_345_678_901_234_567_890.123456789),
        ("-4.9e-324", -Double.leastNonzeroMagnitude),
        ("1E1", 10),
    ]
    for testCase in cases {
        let parsed = try JSONValue.parse(testCase.text)
        #expect(parsed == .double(testCase.value), "\(testCase.text)")
    }
}

@Test func longNumberLiteralsParse() throws {
    let manyDigits = "1" + String(repeating: "0", count: 400)
    #expect(try JSONValue.parse(manyDigits + ".5e-400") == .double(1.0))
    #expect(try JSONValue.parse("0." + String(repeating: "0", count: 1000) + "1") == .double(0))
    #expect(throws: JSONParseError.self) { try JSONValue.parse(manyDigits) }  // 1e400 overflows Double
}

@Test func numbersEndAtDelimiters() throws {
    #expect(try JSONValue.parse("[-0,0.5,1e2,10]") == [0, .double(0.5), .double(100), 10])
    #expect(try JSONValue.parse(#"{"a":-1}"#) == ["a": -1])
}
