import HTTPCore
import Synchronization
import Testing

/// A producer that hands out nothing: only its identity and length matter here.
private final class FixedLengthProducer: HTTPBodyProducer {
    let contentLength: Int
    init(_ length: Int) { contentLength = length }
    func next(maxBytes: Int, into out: inout [UnsafeRawBufferPointer]) -> Bool { false }
    func finish(completed: Bool) {}
}

private final class DiscardingSink: HTTPBodySink {
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool { true }
    func failure() -> HTTPResponse { HTTPResponse(status: 500) }
}

/// Response and request values that carry a producer or a sink.
@Suite struct StreamedBodyValueTests {
    @Test func producerResponseAnnouncesTheProducerLength() {
        let response = HTTPResponse(status: 200, headers: ["X-K": "v"], producer: FixedLengthProducer(1 << 33))
        #expect(response.body.isEmpty)
        #expect(response.contentLength == 1 << 33)
        #expect(
            String(decoding: HTTPResponseSerializer.head(response, close: false), as: UTF8.self)
                == "HTTP/1.1 200 OK\r\nX-K: v\r\nContent-Length: 8589934592\r\n\r\n"
        )
    }

    @Test func producersAndSinksCompareByIdentity() {
        let producer = FixedLengthProducer(3)
        let same = HTTPResponse(status: 200, producer: producer)
        #expect(same == HTTPResponse(status: 200, producer: producer))
        #expect(same != HTTPResponse(status: 200, producer: FixedLengthProducer(3)))
        #expect(same != HTTPResponse(status: 200, body: [1, 2, 3]))
        #expect(HTTPResponse(status: 200, body: [1]) == HTTPResponse(status: 200, body: [1]))

        let head = HTTPRequestHead(method: "PUT", target: "/k")
        let sink = DiscardingSink()
        #expect(HTTPRequest(head: head, sink: sink) == HTTPRequest(head: head, sink: sink))
        #expect(HTTPRequest(head: head, sink: sink) != HTTPRequest(head: head, sink: DiscardingSink()))
        #expect(HTTPRequest(head: head, sink: sink) != HTTPRequest(head: head))
        #expect(HTTPRequest(head: head).sink == nil)
    }
}
