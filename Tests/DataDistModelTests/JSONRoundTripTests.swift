import DataDistModel
import TestSupport
import Testing

/// Random JSON values in the parser's canonical form (no non-finite doubles, no duplicate keys,
/// `.uint` only above Int64.max).
struct RandomJSON {
    var generator: SeededGenerator

    mutating func value(depth: Int) -> JSONValue {
        let kind = Int.random(in: 0..<(depth > 0 ? 9 : 7), using: &generator)
        switch kind {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .int(integer())
        case 3: return .uint(UInt64.random(in: UInt64(Int64.max) + 1...UInt64.max, using: &generator))
        case 4: return .double(double())
        case 5, 6: return .string(string())
        case 7:
            let count = Int.random(in: 0..<6, using: &generator)
            return .array((0..<count).map { _ in value(depth: depth - 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0..<6, using: &generator) {
                let key = string()
                if object[key] == nil { object[key] = value(depth: depth - 1) }
            }
            return .object(object)
        }
    }

    private mutating func integer() -> Int64 {
        let edges: [Int64] = [0, -1, 1, Int64.min, Int64.max, 1 << 53, (1 << 53) + 1, -(1 << 53) - 1]
        if Int.random(in: 0..<4, using: &generator) == 0 { return edges.randomElement(using: &generator) ?? 0 }
        let magnitude = Int64.random(in: 0...Int64.max, using: &generator) >> Int.random(in: 0..<63, using: &generator)
        return Bool.random(using: &generator) ? magnitude : -magnitude
    }

    private mutating func double() -> Double {
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: return Double(Int.random(in: -1000...1000, using: &generator))
        case 1: return Double.random(in: -1...1, using: &generator)
        default:
            while true {
                let candidate = Double(bitPattern: generator.next())
                if candidate.isFinite { return candidate }
            }
        }
    }

    private mutating func string() -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0..<12, using: &generator) {
            let value: UInt32
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: value = UInt32.random(in: 0..<0x20, using: &generator)
            case 1: value = [0x22, 0x5C, 0x2F, 0x7F].randomElement(using: &generator) ?? 0x22
            case 2: value = UInt32.random(in: 0x80..<0xD800, using: &generator)
            case 3: value = UInt32.random(in: 0xE000...0xFFFF, using: &generator)
            case 4: value = UInt32.random(in: 0x10000...0x10FFFF, using: &generator)
            default: value = UInt32.random(in: 0x20..<0x7F, using: &generator)
            }
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }
}

@Test func randomValuesRoundTripThroughText() throws {
    var random = RandomJSON(generator: SeededGenerator(seed: 0x5EED_0001))
    for iteration in 0..<3000 {
        let value = random.value(depth: 4)
        let text = value.serialized
        let reparsed = try JSONValue.parse(text)
        #expect(reparsed == value, "iteration \(iteration): \(text)")
        #expect(reparsed.serialized == text, "iteration \(iteration)")
        #expect(try JSONValue.parse(value.serializedBytes) == value)
    }
}

@Test func builtValuesRoundTripAtBoundaries() throws {
    let values: [JSONValue] = [
        .int(Int64.min), .int(Int64.max), .uint(UInt64(Int64.max) + 1), .uint(UInt64.max),
        .double(-0.0), .double(Double.ulpOfOne), .string("\u{0}\u{10FFFF}"), ["": ["": []]],
    ]
    for value in values {
        #expect(try JSONValue.parse(value.serialized) == value)
    }
}
