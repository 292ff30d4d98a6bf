import HTTPCore
import Testing

/// Parser behaviour across requests on one connection: pipelining, idle/body flags, EOF, terminal errors.
@Suite struct ParserConnectionTests {
    @Test func threePipelinedRequestsCompleteInOneFeedCall() {
        var parser = HTTPRequestParser()
        let raw =
            "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
            + "PUT /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
            + "DELETE /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        let events = parser.feed(Array(raw.utf8))
        #expect(
            render(events) == [
                "head GET /a 1.1 none ka | Host: h", "end",
                "head PUT /b 1.1 cl=3 ka | Host: h | Content-Length: 3", "body xyz", "end",
                "head DELETE /c 1.1 none close | Host: h | Connection: close", "end",
            ]
        )
        #expect(parser.isIdle)
        #expect(parser.finish().isEmpty)
    }

    @Test func idleAndInBodyFollowTheRequest() {
        var parser = HTTPRequestParser()
        #expect(parser.isIdle && !parser.isInBody)
        _ = parser.feed(Array("POST / HTTP/1.1\r\nHost: h\r\n".utf8))
        #expect(!parser.isIdle && !parser.isInBody)
        _ = parser.feed(Array("Transfer-Encoding: chunked\r\n\r\n".utf8))
        #expect(!parser.isIdle && parser.isInBody)
        _ = parser.feed(Array("2\r\nab\r\n0\r\nTrailer: t\r\n".utf8))
        #expect(parser.isInBody, "trailer section is still part of the body")
        let last = parser.feed(Array("\r\n".utf8))
        #expect(last == [.end])
        #expect(parser.isIdle && !parser.isInBody)
        _ = parser.feed(Array("\r\n".utf8))
        #expect(parser.isIdle, "an empty line between requests leaves the parser idle")
        _ = parser.feed(Array("G".utf8))
        #expect(!parser.isIdle)
    }

    @Test func errorIsTerminal() {
        var parser = HTTPRequestParser()
        let first = parser.feed(Array("GET / HTTP/1.1\r\nHost : h\r\n\r\n".utf8))
        #expect(render(first) == ["error 400"])
        #expect(parser.hasFailed)
        #expect(parser.feed(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8)).isEmpty)
        #expect(parser.finish().isEmpty)
        #expect(!parser.isIdle && !parser.isInBody)
    }

    @Test func eofMidRequestSaysSo() {
        var parser = HTTPRequestParser()
        _ = parser.feed(Array("GET / HTTP/1.1\r\nHo".utf8))
        #expect(parser.finish() == [.error(HTTPParseError(.badRequest, "connection closed mid-request"))])
        #expect(parser.finish().isEmpty)
    }

    @Test func bodyLimitIsDecidedPerHead() {
        let limit: @Sendable (HTTPRequestHead) -> Int = { $0.path == "/big" ? 100 : 2 }
        var parser = HTTPRequestParser(bodyLimit: limit)
        let ok = parser.feed(Array("PUT /big?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 50\r\n\r\n".utf8))
        #expect(render(ok) == ["head PUT /big?x=1 1.1 cl=50 ka | Host: h | Content-Length: 50"])
        let body = parser.feed([UInt8](repeating: 7, count: 50))
        #expect(body == [.body([UInt8](repeating: 7, count: 50)), .end])
        let rejected = parser.feed(Array("PUT /small HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n".utf8))
        #expect(rejected == [.error(HTTPParseError(.payloadTooLarge, "request body too large"))])
    }

    @Test func largeBodyArrivesAsOneEventPerFeed() {
        var parser = HTTPRequestParser(bodyLimit: { _ in 8 << 20 })
        let size = 4 << 20
        let head = parser.feed(Array("PUT /kv HTTP/1.1\r\nHost: h\r\nContent-Length: \(size)\r\n\r\n".utf8))
        #expect(head.count == 1)
        var payload = [UInt8](repeating: 0, count: size)
        for i in payload.indices { payload[i] = UInt8(truncatingIfNeeded: i &* 31) }
        var received: [UInt8] = []
        var bodyEvents = 0
        var ended = false
        let piece = 256 << 10
        for start in stride(from: 0, to: size, by: piece) {
            for event in payload[start..<start + piece].withUnsafeBytes({ parser.feed($0) }) {
                switch event {
                case .body(let bytes):
                    received += bytes
                    bodyEvents += 1
                case .end: ended = true
                default: Issue.record("unexpected \(event)")
                }
            }
        }
        #expect(received == payload)
        #expect(bodyEvents == size / piece)
        #expect(ended)
    }

    @Test func errorReasonsNeverEchoFieldValues() {
        let secret = "s3cr3t-token"
        let inputs = [
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(secret)\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \(secret)\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: h\r\nExpect: \(secret)\r\nContent-Length: 1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: \(secret)\u{0}\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: \(secret)\r\nHost: \(secret)\r\n\r\n",
            "GET /\(secret)\u{1} HTTP/1.1\r\n",
        ]
        for input in inputs {
            var parser = HTTPRequestParser()
            let events = parser.feed(Array(input.utf8))
            guard case .error(let error) = events.last else {
                Issue.record("no error for \(input)")
                continue
            }
            #expect(!error.reason.contains(secret))
            #expect(!error.description.contains(secret))
        }
    }

    @Test func headersKeepArrivalOrderAndDuplicates() throws {
        var parser = HTTPRequestParser()
        let events = parser.feed(Array("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nX-B: 3\r\n\r\n".utf8))
        guard case .head(let head) = try #require(events.first) else {
            Issue.record("expected a head")
            return
        }
        #expect(head.headers.values("X-A") == ["1", "2"])
        #expect(head.headers["x-b"] == "3")
        #expect(head.path == "/" && head.query == "")
    }
}
