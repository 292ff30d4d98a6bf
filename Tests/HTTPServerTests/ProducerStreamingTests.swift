import CLinux
import Foundation
import Glibc
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// A handler answering `/stream…` with `producer(target)` and anything else with its path.
private func streamingHandler(_ producer: @escaping @Sendable (String) -> TestProducer) -> TestHandler {
    var handler = TestHandler()
    handler.onRequest = { request, responder in
        if request.path.hasPrefix("/stream") {
            responder.respond(HTTPResponse(status: 200, producer: producer(request.head.target)))
        } else {
            responder.respond(HTTPResponse(status: 200, body: Array(request.path.utf8)))
        }
    }
    return handler
}

extension LiveServerTests {
    @Suite struct ProducerStreaming {
        static let large = PatternBuffer(count: 64 << 20)

        @Test func largeBodyArrivesByteExactAtASlowReader() throws {
            let producer = TestProducer(Self.large)
            try withServer(handler: streamingHandler { _ in producer }) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
                // Nothing is read yet: the server must stop at a full socket (EAGAIN) with the body mostly unsent.
                #expect(eventually { producer.handedOut > 0 })
                #expect(!eventually(timeoutMs: 100) { producer.handedOut >= Self.large.count / 2 })

                let reader = RawResponseReader(fd: client.fd)
                let head = try reader.readHead()
                #expect(head.status == 200)
                #expect(head.contentLength == Self.large.count)
                let received = PatternBuffer(zeroedCount: Self.large.count)
                let count = try reader.readBody(into: received.bytes, piece: 24 * 1024 + 7) { total in
                    if total % (4 << 20) < 24 * 1024 + 7 { usleep(1_000) }  // a slow reader: EPOLLOUT again and again
                }
                #expect(count == Self.large.count)
                #expect(Self.large.matches(UnsafeRawBufferPointer(received.bytes), count: count))
                #expect(eventually { producer.finishCalls == 1 })
                #expect(producer.completed == true)

                // The connection stays usable, and finish is never called again.
                try client.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().text == "/after")
                #expect(producer.finishCalls == 1)
            }
        }

        @Test func clientGoneMidBodyFinishesIncompleteAndOthersAreServed() throws {
            let producer = TestProducer(Self.large)
            try withServer(handler: streamingHandler { _ in producer }) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
                let reader = RawResponseReader(fd: client.fd)
                #expect(try reader.readHead().status == 200)
                let some = PatternBuffer(zeroedCount: 1 << 20)
                #expect(try reader.readBody(into: some.bytes, piece: 64 * 1024) == some.count)
                client.reset()

                #expect(eventually { producer.finishCalls == 1 })
                #expect(producer.completed == false)
                let other = try TestClient(port: server.port)
                try other.send("GET /still-here HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try other.readResponse().text == "/still-here")
                #expect(eventually { server.connectionCount == 1 })
                #expect(producer.finishCalls == 1)
            }
        }

        @Test func stopDuringAStreamingResponseFinishesIncomplete() throws {
            let producer = TestProducer(Self.large)
            let configuration = testConfiguration { $0.shutdownGraceMs = 200 }
            let server = HTTPServer(configuration: configuration, handler: streamingHandler { _ in producer })
            try server.start()
            defer { server.stop() }
            let client = try TestClient(port: server.port)
            try client.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(eventually { producer.handedOut > 0 })
            server.stop()  // the client never reads: the grace runs out mid-body
            #expect(!server.isRunning)
            #expect(producer.finishCalls == 1)
            #expect(producer.completed == false)
        }

        @Test(arguments: [5 << 20, 0])
        func producerShortOfItsLengthClosesTheConnection(available: Int) throws {
            let length = 8 << 20
            let producer = TestProducer(Self.large, contentLength: length, available: available)
            try withServer(handler: streamingHandler { _ in producer }) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n")
                let received = try client.readUntilClosed(timeoutMs: 10_000)
                // Whatever arrived (maybe nothing) is less than the announced body, so no later answer was sent.
                #expect(received.count < length)
                if !received.isEmpty {
                    let head = String(decoding: received.prefix(64), as: UTF8.self)
                    #expect(head.hasPrefix("HTTP/1.1 200 OK\r\nContent-Length: \(length)\r\n"))
                }
                #expect(eventually { producer.finishCalls == 1 })
                #expect(producer.completed == false)
                #expect(eventually { server.connectionCount == 0 })
            }
        }

        @Test func producerHandingOutMoreThanItsLengthClosesTheConnection() throws {
            let producer = OverlongProducer(Self.large)
            var handler = TestHandler()
            handler.onRequest = { _, responder in responder.respond(HTTPResponse(status: 200, producer: producer)) }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readUntilClosed().count < producer.contentLength)
                #expect(eventually { producer.finishes.withLock { $0 } == [false] })
            }
        }

        @Test func pipelinedRequestsAfterStreamedResponsesAreAnsweredInOrder() throws {
            let producers = Created<TestProducer>()
            let source = PatternBuffer(count: 3 << 20 + 123, seed: 9)
            let handler = streamingHandler { target in
                let producer = TestProducer(source, seed: UInt64(target.utf8.count))
                producers.keep(target, producer)
                return producer
            }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send(
                    ["/stream1", "/a", "/stream2", "/b", "/c"].map { "GET \($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined()
                )
                let responses = try (0..<5).map { _ in try client.readResponse(timeoutMs: 20_000) }
                #expect(responses.map(\.status) == [200, 200, 200, 200, 200])
                #expect(responses[0].body == source.array)
                #expect(responses[1].text == "/a")
                #expect(responses[2].body == source.array)
                #expect(responses[3].text == "/b")
                #expect(responses[4].text == "/c")
                #expect(producers.count == 2)
                for target in ["/stream1", "/stream2"] {
                    #expect(producers[target]?.finishCalls == 1)
                    #expect(producers[target]?.completed == true)
                }
            }
        }

        @Test func headAnswerAnnouncesTheLengthAndSendsNoBody() throws {
            let producer = TestProducer(Self.large, contentLength: 1000)
            try withServer(handler: streamingHandler { _ in producer }) { server in
                let client = try TestClient(port: server.port)
                try client.send("HEAD /stream HTTP/1.1\r\nHost: a\r\n\r\nGET /g HTTP/1.1\r\nHost: a\r\n\r\n")
                let head = try client.readResponse(bodyless: true)
                #expect(head.header("Content-Length") == "1000")
                #expect(try client.readResponse().text == "/g")
                #expect(producer.finishCalls == 1)
                #expect(producer.completed == false)
                #expect(producer.handedOut == 0)
            }
        }

        @Test func responseForAConnectionAlreadyGoneFinishesIncomplete() throws {
            let held = HeldResponders()
            var handler = TestHandler()
            handler.onRequest = { request, responder in held.hold(request.path, responder) }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /gone HTTP/1.1\r\nHost: a\r\n\r\n")
                let responder = try held.wait(for: "/gone")
                client.reset()
                #expect(eventually { server.connectionCount == 0 })
                let producer = TestProducer(Self.large)
                responder.respond(HTTPResponse(status: 200, producer: producer))
                #expect(eventually { producer.finishCalls == 1 })
                #expect(producer.completed == false)
                #expect(producer.handedOut == 0)
            }
        }

        @Test func responseAfterStopFinishesIncompleteAtOnce() throws {
            let held = HeldResponders()
            var handler = TestHandler()
            handler.onRequest = { request, responder in held.hold(request.path, responder) }
            let server = HTTPServer(configuration: testConfiguration { $0.shutdownGraceMs = 0 }, handler: handler)
            try server.start()
            let client = try TestClient(port: server.port)
            try client.send("GET /late HTTP/1.1\r\nHost: a\r\n\r\n")
            let responder = try held.wait(for: "/late")
            server.stop()
            let producer = TestProducer(Self.large)
            responder.respond(HTTPResponse(status: 200, producer: producer))
            #expect(producer.finishCalls == 1)
            #expect(producer.completed == false)
        }

        @Test func responseWithBothBodyAndProducerIsAnswered500() throws {
            let producer = TestProducer(Self.large, contentLength: 10)
            var handler = TestHandler()
            handler.onRequest = { _, responder in
                var response = HTTPResponse(status: 200, producer: producer)
                response.body = [1, 2, 3]
                responder.respond(response)
            }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /both HTTP/1.1\r\nHost: a\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 500)
                #expect(response.text.contains("a body and a producer"))
                #expect(producer.finishCalls == 1)
                #expect(producer.completed == false)
                #expect(producer.handedOut == 0)
            }
        }

        @Test func emptyProducerBodyCompletesWithoutBeingAskedForBytes() throws {
            let producer = TestProducer(Self.large, contentLength: 0)
            try withServer(handler: streamingHandler { _ in producer }) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\nGET /g HTTP/1.1\r\nHost: a\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.header("Content-Length") == "0")
                #expect(try client.readResponse().text == "/g")
                #expect(producer.finishCalls == 1)
                #expect(producer.completed == true)
            }
        }
    }
}
