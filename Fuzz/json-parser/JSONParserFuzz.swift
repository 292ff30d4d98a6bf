/// libFuzzer target: the JSON parser (DataDistModel) must never trap; whatever it accepts must survive a
/// round trip (serialize → parse gives the same value, and serializing that gives the same bytes).
@_cdecl("LLVMFuzzerTestOneInput")
public func jsonParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONValue.parse(bytes) else { return 0 }
    let once = value.serializedBytes
    guard let again = try? JSONValue.parse(once) else { fuzzFail("serialized value does not parse") }
    if again != value { fuzzFail("round trip changed the value") }
    if again.serializedBytes != once { fuzzFail("serialization is not stable") }
    return 0
}
