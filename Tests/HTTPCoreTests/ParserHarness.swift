import HTTPCore
import TestSupport

/// How the input is cut into `feed` calls.
enum FeedSplit {
    case whole
    case byteByByte
    case random(seed: UInt64)

    func pieces(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        switch self {
        case .whole:
            return [bytes[...]]
        case .byteByByte:
            return bytes.indices.map { bytes[$0..<$0 + 1] }
        case .random(let seed):
            var rng = SeededGenerator(seed: seed)
            var result: [ArraySlice<UInt8>] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...max(1, min(bytes.count - i, 17)), using: &rng)
                result.append(bytes[i..<i + n])
                i += n
            }
            return result
        }
    }
}

/// Which parser entry point a harness run goes through.
enum FeedEntry: CaseIterable {
    /// `feed(_:)`: body bytes come as `.body` events.
    case events
    /// `feed(_:body:)`: body bytes come as slices to a closure, and feeding pauses after each head.
    case slices
}

/// Feeds `bytes` in the given split (then EOF when `eof`) and returns the events with adjacent bodies merged.
/// Through `.slices`, the pieces handed to the closure become `.body` events placed where the contract says
/// (before the events of the same call), so both entry points can be compared event for event.
func parseEvents(
    _ bytes: [UInt8],
    split: FeedSplit,
    entry: FeedEntry = .events,
    limits: HTTPLimits = HTTPLimits(),
    bodyLimit: Int? = nil,
    eof: Bool = false
) -> [HTTPParserEvent] {
    var limitFunction: (@Sendable (HTTPRequestHead) -> Int)?
    if let bodyLimit { limitFunction = { _ in bodyLimit } }
    var parser = HTTPRequestParser(limits: limits, bodyLimit: limitFunction)
    var events: [HTTPParserEvent] = []
    for piece in split.pieces(of: bytes) {
        piece.withUnsafeBytes { raw in
            switch entry {
            case .events:
                events += parser.feed(raw)
            case .slices:
                events += feedingSlices(&parser, raw)
            }
        }
    }
    if eof { events += parser.finish() }
    return coalescingBodies(events)
}

/// Feeds `raw` through `feed(_:body:)` until it is consumed; checks that every call makes progress and that
/// a call which returns a head stops right after it.
private func feedingSlices(_ parser: inout HTTPRequestParser, _ raw: UnsafeRawBufferPointer) -> [HTTPParserEvent] {
    var events: [HTTPParserEvent] = []
    var offset = 0
    repeat {
        var body: [UInt8] = []
        let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
        let (produced, consumed) = parser.feed(rest) { body.append(contentsOf: $0) }
        precondition(consumed > 0 || rest.isEmpty, "feed(_:body:) consumed nothing")
        if let headIndex = produced.firstIndex(where: { if case .head = $0 { true } else { false } }) {
            precondition(headIndex == produced.count - 1 || produced[headIndex + 1] == .end)
        }
        if !body.isEmpty { events.append(.body(body)) }
        events += produced
        offset += consumed
    } while offset < raw.count
    return events
}

/// Adjacent `.body` events merged into one, so different splits compare equal.
func coalescingBodies(_ events: [HTTPParserEvent]) -> [HTTPParserEvent] {
    var result: [HTTPParserEvent] = []
    for event in events {
        if case .body(let more) = event, case .body(let previous) = result.last {
            result[result.count - 1] = .body(previous + more)
        } else {
            result.append(event)
        }
    }
    return result
}

/// A compact text form of events for corpus expectations:
/// `head METHOD target 1.1 none|cl=N|chunked ka|close [100c] | Name: value ...`, `body text`, `end`, `error 400`.
func render(_ events: [HTTPParserEvent]) -> [String] {
    events.map { event in
        switch event {
        case .head(let head):
            let framing =
                switch head.framing {
                case .none: "none"
                case .contentLength(let n): "cl=\(n)"
                case .chunked: "chunked"
                }
            var text = "head \(head.method) \(head.target) \(head.version.major).\(head.version.minor) \(framing)"
            text += head.keepAlive ? " ka" : " close"
            if head.expectContinue { text += " 100c" }
            for field in head.headers { text += " | \(field.name): \(field.value)" }
            return text
        case .body(let bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            return "body " + text.replacingCRLF()
        case .end:
            return "end"
        case .error(let error):
            return "error \(error.status)"
        }
    }
}

extension String {
    fileprivate func replacingCRLF() -> String {
        var out = ""
        for ch in unicodeScalars {
            switch ch {
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
