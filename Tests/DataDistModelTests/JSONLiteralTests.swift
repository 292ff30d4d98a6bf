import DataDistModel
import Testing

@Test func literalsBuildResponses() {
    let value: JSONValue = ["status": "LLM_SUCCESS", "code": 0, "results": [1, "x", nil, true, 2.5]]
    #expect(
        value
            == .object(
                JSONObject([
                    (key: "status", value: .string("LLM_SUCCESS")),
                    (key: "code", value: .int(0)),
                    (key: "results", value: .array([.int(1), .string("x"), .null, .bool(true), .double(2.5)])),
                ])
            )
    )
    #expect(value.serialized == #"{"status":"LLM_SUCCESS","code":0,"results":[1,"x",null,true,2.5]}"#)
}

@Test func fromKeyValuePairsKeepsOrder() {
    let value = JSONValue.from(["z": 1, "a": .string("b")])
    #expect(value.objectValue?.keys == ["z", "a"])
    #expect(value.serialized == #"{"z":1,"a":"b"}"#)
}

@Test func fromSequenceMapsElements() {
    let ids: [UInt64] = [1, UInt64.max]
    #expect(JSONValue.from(ids) { JSONValue($0) } == [1, .uint(UInt64.max)])
}

@Test func typedInitializersProduceCanonicalCases() {
    #expect(JSONValue(UInt64(5)) == .int(5))
    #expect(JSONValue(UInt64(Int64.max) + 1) == .uint(9_223_372_036_854_775_808))
    #expect(JSONValue(Int(-3)) == .int(-3))
    #expect(JSONValue(Int64.min) == .int(Int64.min))
    #expect(JSONValue(0.5) == .double(0.5))
    #expect(JSONValue("s") == .string("s"))
    #expect(JSONValue(false) == .bool(false))
}

@Test func accessorsReadTheirCaseOnly() {
    let value: JSONValue = ["s": "x", "b": true, "a": [], "o": [:], "n": nil]
    #expect(value["s"]?.stringValue == "x")
    #expect(value["b"]?.boolValue == true)
    #expect(value["a"]?.arrayValue == [])
    #expect(value["o"]?.objectValue == JSONObject())
    #expect(value["n"]?.isNull == true)
    #expect(value["missing"] == nil)
    #expect(value["s"]?.boolValue == nil)
    #expect(JSONValue.string("x")["s"] == nil)
    #expect(JSONValue.double(1).isNumber && JSONValue.uint(UInt64.max).isNumber && !JSONValue.null.isNumber)
}

@Test func nilInOptionalPositionsStaysAbsenceNotNull() {
    var object: JSONObject = ["a": 1, "n": nil]
    #expect(object["n"] == .null)
    #expect(object["n"] != nil)
    object["a"] = nil
    #expect(object.keys == ["n"])
    object["b"] = .null
    #expect(JSONValue.object(object).serialized == #"{"n":null,"b":null}"#)
}
