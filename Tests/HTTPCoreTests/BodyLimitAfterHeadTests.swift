import HTTPCore
import Testing

/// A parser made with `waitsForBodyLimit`: the caller decides each body's limit once it has seen the head.
@Suite struct BodyLimitAfterHeadTests {
    private func feed(
        _ parser: inout HTTPRequestParser,
        _ text: String
    ) -> (events: [HTTPParserEvent], consumed: Int, body: [UInt8]) {
        Array(text.utf8).withUnsafeBytes { raw in
            var body: [UInt8] = []
            let (events, consumed) = parser.feed(raw) { body.append(contentsOf: $0) }
            return (events, consumed, body)
        }
    }

    @Test func stopsAfterAHeadWithABodyUntilTheLimitIsSet() {
        var parser = HTTPRequestParser(waitsForBodyLimit: true)
        let head = "PUT /kv HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"
        let first = feed(&parser, head + "hello")
        #expect(render(first.events) == ["head PUT /kv 1.1 cl=5 ka | Host: h | Content-Length: 5"])
        #expect(first.consumed == head.utf8.count)
        #expect(parser.awaitsBodyLimit)
        #expect(parser.isInBody)
        // Fed again before a limit: nothing moves.
        #expect(feed(&parser, "hello").consumed == 0)
        #expect(parser.acceptBody(limit: 5) == nil)
        let second = feed(&parser, "hello")
        #expect(second.events == [.end])
        #expect(second.body == Array("hello".utf8))
    }

    @Test func aLengthOverTheLimitFailsBeforeAnyBodyByte() {
        var parser = HTTPRequestParser(waitsForBodyLimit: true)
        _ = feed(&parser, "PUT /kv HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n")
        #expect(parser.acceptBody(limit: 4) == HTTPParseError(.payloadTooLarge, "request body too large"))
        #expect(parser.hasFailed)
    }

    @Test func aChunkedBodyFailsAtTheChunkThatPassesTheLimit() {
        var parser = HTTPRequestParser(waitsForBodyLimit: true)
        _ = feed(&parser, "PUT /kv HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(parser.acceptBody(limit: 4) == nil)
        let result = feed(&parser, "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        #expect(result.body == Array("abc".utf8))
        #expect(render(result.events) == ["error 413"])
    }

    @Test func stopsAfterEachRequestSoAPipelinedOneWaits() {
        var parser = HTTPRequestParser(waitsForBodyLimit: true)
        let one = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
        let result = feed(&parser, one + "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(render(result.events) == ["head GET /1 1.1 none ka | Host: h", "end"])
        #expect(result.consumed == one.utf8.count)
    }
}
