import HTTPCore
import HTTPServer
import TestSupport
import Testing

extension LiveServerTests {
    @Suite struct RequestFlow {
        @Test func getIsAnswered() throws {
            try withServer { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /hello?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "GET /hello?x=1 ")
                #expect(response.header("Content-Length") == "15")
                #expect(response.header("Connection") == nil)
            }
        }

        @Test func keepAliveServesThreeSequentialRequests() throws {
            try withServer { server in
                let client = try TestClient(port: server.port)
                for i in 1...3 {
                    try client.send("GET /r\(i) HTTP/1.1\r\nHost: a\r\n\r\n")
                    let response = try client.readResponse()
                    #expect(response.status == 200)
                    #expect(response.text == "GET /r\(i) ")
                }
                #expect(server.connectionCount == 1)
            }
        }

        @Test func pipelinedRequestsAreAnsweredInOrderWhenTheFirstIsLate() throws {
            let held = HeldResponders()
            var handler = TestHandler()
            handler.onRequest = { request, responder in
                if request.path == "/late" {
                    held.hold("/late", responder)  // answered later, from the test thread
                } else {
                    responder.respond(HTTPResponse(status: 200, body: Array(request.path.utf8)))
                }
            }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send(
                    "GET /late HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n"
                        + "GET /third HTTP/1.1\r\nHost: a\r\n\r\n"
                )
                let late = try held.wait(for: "/late")
                #expect(try client.staysSilent(ms: 50))
                late.respond(HTTPResponse(status: 202, body: Array("late".utf8)))
                let bodies = try (0..<3).map { _ in try client.readResponse().text }
                #expect(bodies == ["late", "/second", "/third"])
            }
        }

        @Test func postBodyWithContentLengthIsEchoed() throws {
            try withServer { server in
                let client = try TestClient(port: server.port)
                try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello")
                try client.send(" world")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "POST /echo hello world")
            }
        }

        @Test func chunkedBodyIsReassembled() throws {
            try withServer { server in
                let client = try TestClient(port: server.port)
                try client.send("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
                try client.send("5\r\nhello\r\n")
                try client.send("6\r\n world\r\n0\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "POST /c hello world")
            }
        }

        @Test func expectContinueGets100BeforeTheBodyIsSent() throws {
            try withServer { server in
                let client = try TestClient(port: server.port)
                try client.send("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
                let interim = try client.readResponse()
                #expect(interim.status == 100)
                try client.send("data")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "PUT /x data")
            }
        }

        @Test func preflightRejectionIsSentWithoutReadingTheBodyThenCloses() throws {
            let handled = HeldResponders()
            var handler = TestHandler()
            handler.onPreflight = { head in
                head.path == "/forbidden" ? .json(401, #"{"error":"no token"}"#) : nil
            }
            handler.onRequest = { request, responder in
                handled.hold(request.path, responder)
                responder.respond(HTTPResponse(status: 200))
            }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                // The body is announced but never sent: the answer must come anyway.
                try client.send(
                    "PUT /forbidden HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n"
                )
                let response = try client.readResponse()
                #expect(response.status == 401)
                #expect(response.text == #"{"error":"no token"}"#)
                #expect(response.header("Connection") == "close")
                #expect(try client.readUntilClosed().isEmpty)
                #expect(handled.peek("/forbidden") == nil)
            }
        }

        @Test func parseErrorAnswers400AndCloses() throws {
            try withServer { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /a HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 400)
                #expect(response.header("Connection") == "close")
                #expect(response.header("Content-Type") == "application/json")
                #expect(response.text.hasPrefix(#"{"error":{"status":"400""#))
                #expect(try client.readUntilClosed().isEmpty)
                client.close()
                #expect(eventually { server.connectionCount == 0 })
            }
        }

        @Test func bodyOverTheHandlerLimitAnswers413() throws {
            var handler = TestHandler()
            handler.limit = 8
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n123456789")
                let response = try client.readResponse()
                #expect(response.status == 413)
                #expect(response.header("Connection") == "close")
                #expect(try client.readUntilClosed().isEmpty)
            }
        }

        @Test func connectionCloseRequestIsAnsweredThenClosed() throws {
            try withServer { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /bye HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.header("Connection") == "close")
                #expect(try client.readUntilClosed().isEmpty)
                client.close()
                #expect(eventually { server.connectionCount == 0 })
            }
        }

        @Test func headAnswerHasTheLengthButNoBody() throws {
            try withServer { server in
                let client = try TestClient(port: server.port)
                try client.send("HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /g HTTP/1.1\r\nHost: a\r\n\r\n")
                let head = try client.readResponse(bodyless: true)
                #expect(head.status == 200)
                #expect(head.header("Content-Length") == "8")
                #expect(try client.readResponse().text == "GET /g ")
            }
        }

        @Test func largeResponseIsWrittenCompletelyAcrossPartialWrites() throws {
            let size = 8 * 1024 * 1024
            var handler = TestHandler()
            handler.onRequest = { _, responder in
                var body = [UInt8](repeating: 7, count: size)
                body[size - 1] = 42
                responder.respond(HTTPResponse(status: 200, body: body))
            }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\nGET /big HTTP/1.1\r\nHost: a\r\n\r\n")
                for _ in 0..<2 {
                    let response = try client.readResponse(timeoutMs: 20_000)
                    #expect(response.body.count == size)
                    #expect(response.body.first == 7 && response.body.last == 42)
                }
            }
        }
    }
}
