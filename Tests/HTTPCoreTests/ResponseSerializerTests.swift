import HTTPCore
import Testing

@Suite struct ResponseSerializerTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func jsonResponseKeepAlive() {
        let response = HTTPResponse.json(200, "{\"ok\":true}")
        #expect(
            text(HTTPResponseSerializer.head(response, close: false))
                == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
        )
    }

    @Test func closeAddsConnectionClose() {
        let response = HTTPResponse(status: 404, body: Array("nope".utf8))
        #expect(
            text(HTTPResponseSerializer.head(response, close: true))
                == "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\nConnection: close\r\n\r\n"
        )
    }

    @Test func callerContentLengthAndConnectionAreReplaced() {
        let response = HTTPResponse(
            status: 204,
            headers: ["content-length": "99", "X-A": "1", "CONNECTION": "keep-alive"]
        )
        #expect(
            text(HTTPResponseSerializer.head(response, close: true))
                == "HTTP/1.1 204 No Content\r\nX-A: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    }

    @Test func fieldsThatWouldSplitTheResponseAreDropped() {
        let response = HTTPResponse(
            status: 200,
            headers: HTTPHeaders([
                (name: "X-Ok", value: "fine"),
                (name: "X-Bad", value: "a\r\nSet-Cookie: x=y"),
                (name: "X-Lf", value: "a\nb"),
                (name: "X-Nul", value: "a\u{0}"),
                (name: "Bad\r\nName", value: "v"),
                (name: "Bad Name", value: "v"),
                (name: "", value: "v"),
            ])
        )
        #expect(
            text(HTTPResponseSerializer.head(response, close: false))
                == "HTTP/1.1 200 OK\r\nX-Ok: fine\r\nContent-Length: 0\r\n\r\n"
        )
    }

    @Test func unknownStatusHasEmptyReason() {
        #expect(
            text(HTTPResponseSerializer.head(HTTPResponse(status: 299), close: false))
                == "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n"
        )
    }

    @Test func keepAliveAnnouncedOnlyWhenAskedAndNotClosing() {
        let response = HTTPResponse(status: 200, body: [1, 2])
        #expect(
            text(HTTPResponseSerializer.head(response, close: false, announceKeepAlive: true))
                == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n"
        )
        #expect(
            text(HTTPResponseSerializer.head(response, close: true, announceKeepAlive: true))
                == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
        )
    }

    @Test func errorStatusesHaveReasonPhrases() {
        for status in [400, 411, 413, 414, 417, 431, 501, 505] {
            #expect(!httpReasonPhrase(status).isEmpty)
            #expect(HTTPParseError(.badRequest, "x").status == 400)
        }
        #expect(text(HTTPResponseSerializer.continueLine) == "HTTP/1.1 100 Continue\r\n\r\n")
    }
}
