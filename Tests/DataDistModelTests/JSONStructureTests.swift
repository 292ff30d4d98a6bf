import DataDistModel
import Testing

private func nestedArrays(_ depth: Int) -> String {
    String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
}

@Test func nestingAtLimitParsesAndOneDeeperFails() throws {
    #expect(try JSONValue.parse(nestedArrays(64)).serialized == nestedArrays(64))
    let error = try #require(parseError(nestedArrays(65)))
    #expect(error.offset == 64)
    #expect(error.reason == "nesting deeper than 64")
}

@Test func mixedNestingCountsObjectsAndArrays() throws {
    let depth = 10
    let open = String(repeating: #"{"a":["#, count: depth / 2)
    let close = String(repeating: "]}", count: depth / 2)
    #expect(try JSONValue.parse(open + "1" + close, maxDepth: depth).serialized == open + "1" + close)
    #expect(parseError(open + "1" + close, maxDepth: depth - 1)?.reason == "nesting deeper than 9")
}

@Test func customMaxDepth() throws {
    #expect(try JSONValue.parse("1", maxDepth: 0) == 1)
    #expect(parseError("[]", maxDepth: 0)?.reason == "nesting deeper than 0")
    #expect(try JSONValue.parse(nestedArrays(1000), maxDepth: 1000).serialized == nestedArrays(1000))
}

@Test func hundredThousandOpenBracketsFailWithoutRecursion() {
    let deep = String(repeating: "[", count: 100_000)
    #expect(throws: JSONParseError(offset: 64, reason: "nesting deeper than 64")) { try JSONValue.parse(deep) }
    // With no depth limit the iterative parser reaches the end of input instead of the stack's end.
    #expect(throws: JSONParseError(offset: 100_000, reason: "unexpected end of input, expected a value")) {
        try JSONValue.parse(deep, maxDepth: Int.max)
    }
    let deepObjects = String(repeating: #"{"a":"#, count: 100_000)
    #expect(throws: JSONParseError.self) { try JSONValue.parse(deepObjects, maxDepth: Int.max) }
}

@Test func duplicateKeysAreRejectedAtTheSecondKey() {
    #expect(throws: JSONParseError(offset: 7, reason: "duplicate object key")) {
        try JSONValue.parse(#"{"a":1,"a":2}"#)
    }
    #expect(throws: JSONParseError(offset: 13, reason: "duplicate object key")) {
        try JSONValue.parse(#"{"a":1,"b":2,"a":3}"#)
    }
    // The same key after unescaping is the same key.
    #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"a":1,"\u0061":2}"#) }
    // Keys equal as Swift Strings (canonically equivalent) would shadow each other in lookups.
    #expect(throws: JSONParseError.self) { try JSONValue.parse("{\"é\":1,\"e\u{301}\":2}") }
}

@Test func duplicateKeysInLargeObjectsAreRejected() throws {
    let members = (0..<100).map { #""k\#($0)":\#($0)"# }
    let distinct = "{" + members.joined(separator: ",") + "}"
    let object = try #require(try JSONValue.parse(distinct).objectValue)
    #expect(object.keys == (0..<100).map { "k\($0)" })
    #expect(object["k99"] == 99)
    let duplicated = "{" + (members + [#""k42":0"#]).joined(separator: ",") + "}"
    #expect(parseError(duplicated)?.reason == "duplicate object key")
}

@Test func keyOrderIsPreserved() throws {
    let text = #"{"z":1,"a":2,"m":3}"#
    let value = try JSONValue.parse(text)
    #expect(value.objectValue?.keys == ["z", "a", "m"])
    #expect(value["a"] == 2)
    #expect(value.serialized == text)
}

@Test func parsesFromBorrowedBuffer() throws {
    let bytes = Array(#"{"x":[1,2]}"#.utf8)
    let value = try bytes.withUnsafeBufferPointer { buffer in try JSONValue.parse(buffer) }
    #expect(value == ["x": [1, 2]])
}
