/// libFuzzer target: the HTTP/1.1 request parser (HTTPCore) must never trap, and every split of the same
/// bytes must yield the same events (bodies compared as concatenations, since pieces follow the splits).
/// The zero-copy `feed(_:body:)` path must agree with `feed(_:)` too.
@_cdecl("LLVMFuzzerTestOneInput")
public func httpParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var whole = HTTPRequestParser()
    let reference = normalized(whole.feed(input) + whole.finish())

    var splits = FuzzSplits(input)
    var split = HTTPRequestParser()
    var splitEvents: [HTTPParserEvent] = []
    var zeroCopy = HTTPRequestParser()
    var zeroCopyEvents: [HTTPParserEvent] = []
    var offset = 0
    for n in splits.pieces(of: size) {
        let piece = UnsafeRawBufferPointer(rebasing: input[offset..<offset + n])
        splitEvents += split.feed(piece)
        var rest = piece
        while !rest.isEmpty {
            let (events, consumed) = zeroCopy.feed(rest) { zeroCopyEvents.append(.body(Array($0))) }
            zeroCopyEvents += events
            rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
            if consumed == 0 && events.isEmpty { break }
        }
        offset += n
    }
    splitEvents += split.finish()
    zeroCopyEvents += zeroCopy.finish()
    if normalized(splitEvents) != reference { fuzzFail("split feed disagrees with whole feed") }
    if normalized(zeroCopyEvents) != reference { fuzzFail("zero-copy feed disagrees with whole feed") }
    return 0
}

/// Merges consecutive body pieces so that events compare independently of where the input was split.
private func normalized(_ events: [HTTPParserEvent]) -> [HTTPParserEvent] {
    var out: [HTTPParserEvent] = []
    for e in events {
        if case .body(let b) = e, case .body(let a)? = out.last {
            out[out.count - 1] = .body(a + b)
        } else if case .body(let b) = e, b.isEmpty {
            continue
        } else {
            out.append(e)
        }
    }
    return out
}
