import DataDistModel
import Testing

@Test func serializerEscapesExactBytes() {
    let value = JSONValue.string("a\"b\\c/d\n\r\t\u{08}\u{0C}\u{01}\u{1F}\u{0}\u{7F}é😀\u{2028}")
    let expected = #""a\"b\\c/d\n\r\t\b\f\u0001\u001f\u0000"# + "\u{7F}é😀\u{2028}\""
    #expect(value.serialized == expected)
    #expect(value.serializedBytes == Array(expected.utf8))
}

@Test func serializerEscapesKeys() {
    let value: JSONValue = ["k\"\n": 1]
    #expect(value.serialized == #"{"k\"\n":1}"#)
}

@Test func serializerIsCompactAndKeepsMemberOrder() {
    let value: JSONValue = ["b": 1, "a": [true, nil, 1.5, [:], []], "": "x"]
    #expect(value.serialized == #"{"b":1,"a":[true,null,1.5,{},[]],"":"x"}"#)
}

@Test func serializerPrintsNumbers() {
    let cases: [(value: JSONValue, text: String)] = [
        (.int(0), "0"),
        (.int(Int64.min), "-9223372036854775808"),
        (.int(Int64.max), "9223372036854775807"),
        (.uint(UInt64.max), "18446744073709551615"),
        (.double(3), "3.0"),
        (.double(-0.0), "-0.0"),
        (.double(0.1), "0.1"),
        (.double(1e16), "1e+16"),
        (.double(1.5e-7), "1.5e-07"),
        (.double(Double.leastNonzeroMagnitude), "5e-324"),
        (.double(Double.greatestFiniteMagnitude), "1.7976931348623157e+308"),
        (.double(.infinity), "null"),
        (.double(-.infinity), "null"),
        (.double(.nan), "null"),
    ]
    for testCase in cases {
        #expect(testCase.value.serialized == testCase.text)
    }
}

@Test func serializedDoublesReparseAsDoubles() throws {
    for double in [
        3.0, -0.0, 0.1, 1e16, 1.5e-7, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 9_007_199_254_740_994,
    ] {
        let reparsed = try JSONValue.parse(JSONValue.double(double).serialized)
        #expect(reparsed == .double(double))
        #expect(reparsed.doubleValue?.bitPattern == double.bitPattern)
    }
}

@Test func serializeIntoAppends() {
    var out = Array("x=".utf8)
    JSONValue.array([1, "a"]).serialize(into: &out)
    #expect(String(decoding: out, as: UTF8.self) == #"x=[1,"a"]"#)
}

@Test func parsedTextReserializesIdentically() throws {
    let text = #"{"z":1,"a":[-5,2.5,"\"\\\n\u0001",true,false,null],"m":{"":{}},"u":18446744073709551615}"#
    #expect(try JSONValue.parse(text).serialized == text)
}
