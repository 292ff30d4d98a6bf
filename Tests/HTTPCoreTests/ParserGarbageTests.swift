import HTTPCore
import TestSupport
import Testing

/// Property: random inputs (pure noise and mangled HTTP) never trap, give the same events in any split, and
/// form a well-shaped stream: (head body* end)* then at most one error, which is last.
@Suite struct ParserGarbageTests {
    static let fragments: [[UInt8]] = [
        "GET ", "POST ", "/", "/a?b=c", " HTTP/1.1", " HTTP/1.0", " HTTP/2.0", "\r\n", "\r", "\n", " ", "\t", ":",
        "Host: h", "Content-Length: ", "Transfer-Encoding: chunked", "Expect: 100-continue", "Connection: close",
        "0", "5", "a", "ff", ";x=y", "hello", "\u{0}", "\u{7F}", "\r\n\r\n",
    ].map { Array($0.utf8) }

    @Test func randomInputsNeverTrapAndStayConsistent() {
        var rng = SeededGenerator(seed: 0xDA7A)
        var small = HTTPLimits()
        small.maxHeaderBytes = 200
        small.maxTargetBytes = 40
        small.maxHeaderCount = 6
        var errors = 0
        var heads = 0
        for round in 0..<3000 {
            let input = Self.randomInput(&rng, structured: round % 4 != 0)
            let limits = round % 2 == 0 ? HTTPLimits() : small
            let whole = parseEvents(input, split: .whole, limits: limits, bodyLimit: 64, eof: round % 3 == 0)
            let split = parseEvents(
                input,
                split: .random(seed: UInt64(round)),
                limits: limits,
                bodyLimit: 64,
                eof: round % 3 == 0
            )
            let slices = parseEvents(
                input,
                split: .random(seed: UInt64(round) &+ 7),
                entry: .slices,
                limits: limits,
                bodyLimit: 64,
                eof: round % 3 == 0
            )
            #expect(whole == split, "split changed the events for input #\(round)")
            #expect(whole == slices, "feed(_:body:) changed the events for input #\(round)")
            #expect(Self.isWellShaped(whole), "bad event stream for input #\(round)")
            if case .error = whole.last { errors += 1 }
            heads += whole.filter { if case .head = $0 { true } else { false } }.count
        }
        // The generator must exercise both outcomes, or the property says little.
        #expect(errors > 1000)
        #expect(heads > 800)
    }

    static let fieldLines: [String] = [
        "Host: h", "Content-Length: 5", "Content-Length: 0", "Transfer-Encoding: chunked", "Expect: 100-continue",
        "Connection: close", "X-Y: z",
    ]

    /// Structured inputs are a plausible head (fields drawn at random, so framing varies) followed by random
    /// fragments, with one byte sometimes overwritten; the rest is pure noise.
    static func randomInput(_ rng: inout SeededGenerator, structured: Bool) -> [UInt8] {
        var out: [UInt8] = []
        guard structured else {
            for _ in 0..<Int.random(in: 0...200, using: &rng) { out.append(UInt8.random(in: 0...255, using: &rng)) }
            return out
        }
        out += Array("POST /x HTTP/1.1\r\nHost: h\r\n".utf8)
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            out += Array((fieldLines.randomElement(using: &rng)! + "\r\n").utf8)
        }
        out += Array("\r\n".utf8)
        for _ in 0..<Int.random(in: 0...12, using: &rng) {
            out += fragments.randomElement(using: &rng)!
        }
        if Bool.random(using: &rng) {
            out[Int.random(in: 0..<out.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
        }
        return out
    }

    static func isWellShaped(_ events: [HTTPParserEvent]) -> Bool {
        var inRequest = false
        for (index, event) in events.enumerated() {
            switch event {
            case .head:
                if inRequest { return false }
                inRequest = true
            case .body:
                if !inRequest { return false }
            case .end:
                if !inRequest { return false }
                inRequest = false
            case .error:
                return index == events.count - 1
            }
        }
        return true
    }
}
