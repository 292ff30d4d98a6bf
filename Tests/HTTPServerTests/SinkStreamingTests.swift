import CLinux
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// A handler giving `/sink…` requests a `TestSink` of `capacity` bytes (kept in `sinks` by target); the answer
/// says what `handle` saw: `sink=<received> body=<request.body.count>`.
private func sinkHandler(_ sinks: Created<TestSink>, capacity: Int, refuseAfter: Int? = nil) -> TestHandler {
    var handler = TestHandler()
    handler.limit = 128 << 20
    handler.onBodySink = { head in
        guard head.path.hasPrefix("/sink") else { return nil }
        let sink = TestSink(capacity: capacity, refuseAfter: refuseAfter)
        sinks.keep(head.target, sink)
        return sink
    }
    handler.onRequest = { request, responder in
        let sink = request.sink as? TestSink
        let sameSink = sink != nil && sink === sinks[request.head.target]
        let text = "sink=\(sameSink ? sink!.received : -1) body=\(request.body.count)"
        responder.respond(HTTPResponse(status: 200, body: Array(text.utf8)))
    }
    return handler
}

extension LiveServerTests {
    @Suite struct SinkStreaming {
        static let large = PatternBuffer(count: 64 << 20, seed: 3)

        @Test func contentLengthBodyOf64MiBReachesTheSinkByteExact() throws {
            let sinks = Created<TestSink>()
            try withServer(handler: sinkHandler(sinks, capacity: Self.large.count)) { server in
                let client = try TestClient(port: server.port)
                try client.send("PUT /sink HTTP/1.1\r\nHost: a\r\nContent-Length: \(Self.large.count)\r\n\r\n")
                try client.send(Self.large.array)
                let response = try client.readResponse(timeoutMs: 30_000)
                #expect(response.text == "sink=\(Self.large.count) body=0")
                let sink = try #require(sinks["/sink"])
                #expect(Self.large.matches(UnsafeRawBufferPointer(sink.destination.bytes), count: Self.large.count))
                #expect(sink.abandoned == 0)
                // Body reads use the large body buffer, and each piece is one read: never split further.
                #expect(sink.largestWrite > 64 << 10)
                #expect(sink.largestWrite <= HTTPServerConfiguration(host: "", port: 0).bodyReadBytes)
            }
        }

        @Test func chunkedBodyReachesTheSinkByteExact() throws {
            let sinks = Created<TestSink>()
            let size = 9 << 20 + 17
            try withServer(handler: sinkHandler(sinks, capacity: size)) { server in
                let client = try TestClient(port: server.port)
                var wire = Array("POST /sink-chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                var offset = 0
                var step = 0
                while offset < size {
                    step += 1
                    let chunk = min(size - offset, step % 3 == 0 ? step : step * 40_009)
                    wire += Array("\(String(chunk, radix: 16));n=\(step)\r\n".utf8)
                    wire += Self.large.bytes[offset..<offset + chunk]
                    wire += Array("\r\n".utf8)
                    offset += chunk
                }
                wire += Array("0\r\nX-Trailer: t\r\n\r\n".utf8)
                try client.send(wire)
                let response = try client.readResponse(timeoutMs: 30_000)
                #expect(response.text == "sink=\(size) body=0")
                let sink = try #require(sinks["/sink-chunked"])
                #expect(Self.large.matches(UnsafeRawBufferPointer(sink.destination.bytes), count: size))
            }
        }

        @Test func refusingSinkGetsItsFailureAnswerAndTheConnectionCloses() throws {
            let sinks = Created<TestSink>()
            let handled = HeldResponders()
            var handler = sinkHandler(sinks, capacity: 1 << 20, refuseAfter: 100_000)
            handler.onRequest = { request, responder in
                handled.hold(request.path, responder)
                responder.respond(HTTPResponse(status: 200))
            }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send("PUT /sink HTTP/1.1\r\nHost: a\r\nContent-Length: 300000\r\n\r\n")
                try client.send(Array(Self.large.bytes[0..<300_000]))
                let response = try client.readResponse()
                #expect(response.status == 507)
                #expect(response.text == #"{"error":"sink full"}"#)
                #expect(response.header("Connection") == "close")
                #expect(try client.readUntilClosed().isEmpty)
                let sink = try #require(sinks["/sink"])
                #expect(sink.received <= 100_000)
                #expect(sink.abandoned == 0)
                #expect(handled.peek("/sink") == nil)
            }
        }

        @Test func expectContinueAsksForTheSinkBeforeThe100() throws {
            let sinks = Created<TestSink>()
            try withServer(handler: sinkHandler(sinks, capacity: 4096)) { server in
                let client = try TestClient(port: server.port)
                try client.send("PUT /sink HTTP/1.1\r\nHost: a\r\nContent-Length: 4000\r\nExpect: 100-continue\r\n\r\n")
                #expect(try client.readResponse().status == 100)
                let sink = try #require(sinks["/sink"])  // chosen before the interim answer went out
                #expect(sink.received == 0)
                try client.send(Array(Self.large.bytes[0..<4000]))
                #expect(try client.readResponse().text == "sink=4000 body=0")
                #expect(Self.large.matches(UnsafeRawBufferPointer(sink.destination.bytes), count: 4000))
            }
        }

        @Test func bodyBehindARequestInFlightReachesItsSinkInOrder() throws {
            let sinks = Created<TestSink>()
            let held = HeldResponders()
            var handler = sinkHandler(sinks, capacity: 200_000)
            let answer = handler.onRequest
            handler.onRequest = { request, responder in
                if request.path == "/late" { held.hold("/late", responder) } else { answer(request, responder) }
            }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                // One send: the sink's head and body arrive while /late is still being handled.
                let heads =
                    "GET /late HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "PUT /sink HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n"
                try client.send(Array(heads.utf8) + Array(Self.large.bytes[0..<200_000]))
                let late = try held.wait(for: "/late")
                #expect(sinks.count == 0)  // not asked before its turn
                late.respond(HTTPResponse(status: 202))
                #expect(try client.readResponse().status == 202)
                #expect(try client.readResponse().text == "sink=200000 body=0")
                let sink = try #require(sinks["/sink"])
                #expect(Self.large.matches(UnsafeRawBufferPointer(sink.destination.bytes), count: 200_000))
            }
        }

        @Test func sinkIsAbandonedWhenTheClientLeavesMidBody() throws {
            let sinks = Created<TestSink>()
            let handled = HeldResponders()
            var handler = sinkHandler(sinks, capacity: 1 << 20)
            handler.onRequest = { request, responder in handled.hold(request.path, responder) }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send("PUT /sink HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n")
                try client.send(Array(Self.large.bytes[0..<1000]))
                #expect(eventually { sinks["/sink"]?.received == 1000 })
                client.close()
                #expect(eventually { sinks["/sink"]?.abandoned == 1 })
                #expect(handled.peek("/sink") == nil)
            }
        }

        @Test func bodyLimitStillAppliesBeforeAnySinkIsAsked() throws {
            let sinks = Created<TestSink>()
            var handler = sinkHandler(sinks, capacity: 1 << 20)
            handler.limit = 1000
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send("PUT /sink HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n")
                #expect(try client.readResponse().status == 413)
                #expect(sinks.count == 0)
            }
        }
    }
}
