import HTTPCore
import HTTPServer
import TestSupport
import Testing

extension LiveServerTests {
    @Suite struct Responders {
        @Test func secondCallIsIgnoredAndNeverAnswersTheNextRequest() throws {
            var handler = TestHandler()
            handler.onRequest = { request, responder in
                if request.path == "/twice" {
                    responder.respond(HTTPResponse(status: 200, body: Array("first".utf8)))
                    responder.respond(HTTPResponse(status: 500, body: Array("second".utf8)))
                } else {
                    responder.respond(HTTPResponse(status: 200, body: Array(request.path.utf8)))
                }
            }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /twice HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().text == "first")
                try client.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().text == "/next")
                #expect(try client.staysSilent(ms: 50))
            }
        }

        @Test func lateSecondCallFromAnotherThreadIsIgnored() throws {
            let held = HeldResponders()
            var handler = TestHandler()
            handler.onRequest = { request, responder in
                if request.path == "/held" {
                    held.hold(request.head.target, responder)
                } else {
                    responder.respond(HTTPResponse(status: 200, body: Array(request.path.utf8)))
                }
            }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /held?1 HTTP/1.1\r\nHost: a\r\n\r\n")
                let first = try held.wait(for: "/held?1")
                first.respond(HTTPResponse(status: 201, body: Array("one".utf8)))
                #expect(try client.readResponse().status == 201)
                try client.send("GET /other HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().text == "/other")
                try client.send("GET /held?2 HTTP/1.1\r\nHost: a\r\n\r\n")
                let second = try held.wait(for: "/held?2")
                first.respond(HTTPResponse(status: 500, body: Array("stale".utf8)))  // must not answer /held?2
                #expect(try client.staysSilent(ms: 50))
                second.respond(HTTPResponse(status: 200, body: Array("fresh".utf8)))
                #expect(try client.readResponse().text == "fresh")
            }
        }

        @Test func callAfterTheConnectionClosedIsDropped() throws {
            let held = HeldResponders()
            var handler = TestHandler()
            handler.onRequest = { request, responder in
                if request.path == "/gone" {
                    held.hold("/gone", responder)
                } else {
                    responder.respond(HTTPResponse(status: 200, body: Array(request.path.utf8)))
                }
            }
            try withServer(handler: handler) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /gone HTTP/1.1\r\nHost: a\r\n\r\n")
                let responder = try held.wait(for: "/gone")
                client.reset()
                #expect(eventually { server.connectionCount == 0 })
                // A new connection may now reuse the same descriptor number: it must not get the stale answer.
                let fresh = try TestClient(port: server.port)
                #expect(eventually { server.connectionCount == 1 })
                responder.respond(HTTPResponse(status: 200, body: Array("stale".utf8)))
                responder.respond(HTTPResponse(status: 200, body: Array("stale".utf8)))
                #expect(try fresh.staysSilent(ms: 50))
                try fresh.send("GET /alive HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try fresh.readResponse().text == "/alive")
            }
        }

        @Test func callAfterStopIsDropped() throws {
            let held = HeldResponders()
            var handler = TestHandler()
            handler.onRequest = { request, responder in held.hold(request.path, responder) }
            var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
            configuration.shutdownGraceMs = 50
            let server = HTTPServer(configuration: configuration, handler: handler)
            try server.start()
            let client = try TestClient(port: server.port)
            try client.send("GET /late HTTP/1.1\r\nHost: a\r\n\r\n")
            let responder = try held.wait(for: "/late")
            server.stop()
            responder.respond(HTTPResponse(status: 200, body: Array("too late".utf8)))
            #expect(!server.isRunning)
            #expect(try client.readUntilClosed().isEmpty)
        }
    }
}
