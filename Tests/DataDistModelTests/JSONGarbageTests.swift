import DataDistModel
import TestSupport
import Testing

/// Parses arbitrary bytes; either it fails with an offset inside the input, or the value it returns
/// survives a serialize/parse round trip.
private func checkNeverTraps(_ bytes: [UInt8], maxDepth: Int = 64) {
    do {
        let value = try JSONValue.parse(bytes, maxDepth: maxDepth)
        #expect((try? JSONValue.parse(value.serialized, maxDepth: maxDepth)) == value)
    } catch {
        #expect((0...bytes.count).contains(error.offset))
    }
}

@Test func randomBytesNeverTrap() {
    var generator = SeededGenerator(seed: 0xBAD_5EED)
    let alphabet =
        Array(#"[]{}:,"\ -+.0123456789eEtrufalsn/bu"#.utf8) + [0x00, 0x0A, 0x1F, 0x7F, 0x80, 0xC3, 0xED, 0xF4, 0xFF]
    for _ in 0..<5000 {
        let count = Int.random(in: 0..<48, using: &generator)
        let bytes: [UInt8] = (0..<count).map { _ in
            Bool.random(using: &generator)
                ? alphabet.randomElement(using: &generator) ?? 0 : UInt8.random(in: 0...255, using: &generator)
        }
        checkNeverTraps(bytes, maxDepth: 8)
    }
}

@Test func mutatedValidDocumentsNeverTrap() {
    var generator = SeededGenerator(seed: 0x0DD_5EED)
    var random = RandomJSON(generator: SeededGenerator(seed: 0xFEED))
    var accepted = 0
    for _ in 0..<3000 {
        var bytes = random.value(depth: 3).serializedBytes
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            let index = Int.random(in: 0...bytes.count, using: &generator)
            let byte = UInt8.random(in: 0...255, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0 where index < bytes.count: bytes[index] = byte
            case 1 where index < bytes.count: bytes.remove(at: index)
            default: bytes.insert(byte, at: index)
            }
        }
        if (try? JSONValue.parse(bytes)) != nil { accepted += 1 }
        checkNeverTraps(bytes)
    }
    // Most single-byte mutations break the document; a few (inside strings, digits) keep it valid.
    #expect(accepted > 0 && accepted < 3000)
}

@Test func truncatedDocumentsNeverTrap() {
    let document = Array(#"{"a":[1,-2.5e3,"x\u00e9\ud83d\ude00",true,null],"b":{"c":18446744073709551615}}"#.utf8)
    for end in 0..<document.count {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(document[0..<end])) }
    }
    #expect((try? JSONValue.parse(document)) != nil)
}
