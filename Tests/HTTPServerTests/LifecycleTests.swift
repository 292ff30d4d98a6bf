import CLinux
import Foundation
import Glibc
import HTTPCore
import HTTPServer
import Synchronization
import TestSupport
import Testing

/// True when this machine can bind the IPv6 loopback.
private func ipv6LoopbackAvailable() -> Bool {
    let server = HTTPServer(configuration: HTTPServerConfiguration(host: "::1", port: 0), handler: TestHandler())
    guard (try? server.start()) != nil else { return false }
    server.stop()
    return true
}

extension LiveServerTests {
    @Suite struct Lifecycle {
        @Test func bindFailureThrowsAndLeavesNoDescriptorOpen() throws {
            try withServer { taken in
                let before = openDescriptorCount()
                let attempts = 32
                for _ in 0..<attempts {
                    let second = HTTPServer(
                        configuration: HTTPServerConfiguration(host: "127.0.0.1", port: taken.port),
                        handler: TestHandler()
                    )
                    let error = try #require(throws: HTTPServerError.self) { try second.start() }
                    #expect(error.operation == "bind")
                    #expect(error.errno == EADDRINUSE)
                    #expect(error.message == "bind 127.0.0.1:\(taken.port): Address already in use")
                    #expect(!second.isRunning)
                }
                // A leak would add one or more descriptors per attempt; allow for unrelated activity.
                #expect(openDescriptorCount() - before < attempts / 2)
            }
        }

        @Test func hostThatIsNotALiteralIsAnAddressError() throws {
            for host in ["localhost", "1.2.3", "::1::2", ""] {
                let server = HTTPServer(
                    configuration: HTTPServerConfiguration(host: host, port: 0),
                    handler: TestHandler()
                )
                let error = try #require(throws: HTTPServerError.self) { try server.start() }
                #expect(error.operation == "address")
            }
        }

        @Test func stopFreesThePortAndAnswersTheRequestInFlight() throws {
            let held = HeldResponders()
            var handler = TestHandler()
            handler.onRequest = { request, responder in held.hold(request.path, responder) }
            var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
            configuration.shutdownGraceMs = 10_000
            let server = HTTPServer(configuration: configuration, handler: handler)
            try server.start()
            let port = server.port
            let busy = try TestClient(port: port)
            try busy.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
            let slow = try held.wait(for: "/slow")
            let idle = try TestClient(port: port)
            #expect(eventually { server.connectionCount == 2 })

            let stopped = Flag()
            Thread.detachNewThread {
                server.stop()
                stopped.set()
            }
            // The listener goes at once; idle connections are closed at once; the busy one waits.
            #expect(eventually { (try? TestClient(port: port)) == nil })
            #expect(try idle.readUntilClosed(timeoutMs: 2_000).isEmpty)
            #expect(server.isRunning)
            #expect(!stopped.isSet)

            slow.respond(HTTPResponse(status: 200, body: Array("finished".utf8)))
            let response = try busy.readResponse()
            #expect(response.text == "finished")
            #expect(response.header("Connection") == "close")
            #expect(try busy.readUntilClosed().isEmpty)
            busy.close()
            #expect(eventually { stopped.isSet })
            #expect(!server.isRunning)

            // The port can be bound again right away (the node re-binds it on role switches).
            let successor = HTTPServer(
                configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port),
                handler: TestHandler()
            )
            try successor.start()
            defer { successor.stop() }
            let client = try TestClient(port: port)
            try client.send("GET /new HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().text == "GET /new ")
        }

        @Test func stopGivesUpOnUnansweredRequestsAfterTheGrace() throws {
            var handler = TestHandler()
            handler.onRequest = { _, _ in }  // never answers
            var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
            configuration.shutdownGraceMs = 200
            let server = HTTPServer(configuration: configuration, handler: handler)
            try server.start()
            let client = try TestClient(port: server.port)
            try client.send("GET /never HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(eventually { server.connectionCount == 1 })
            let elapsed = elapsedMs { server.stop() }
            #expect(elapsed >= 150 && elapsed < 2_000)
            #expect(try client.readUntilClosed().isEmpty)
        }

        @Test func stopFromAHandlerOnTheLoopThreadDoesNotDeadlock() throws {
            let box = ServerBox()
            var handler = TestHandler()
            handler.onRequest = { request, responder in
                box.server?.stop()  // on the loop thread: starts the stop and returns
                responder.respond(HTTPResponse(status: 200, body: Array("stopping".utf8)))
            }
            let server = HTTPServer(configuration: testConfiguration(), handler: handler)
            box.server = server
            try server.start()
            let client = try TestClient(port: server.port)
            try client.send("POST /shutdown HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
            #expect(try client.readResponse().text == "stopping")
            #expect(try client.readUntilClosed().isEmpty)
            #expect(eventually { !server.isRunning })
            server.stop()  // joins the thread that stopped itself
            try server.start()
            defer { server.stop() }
            #expect(server.isRunning)
        }

        @Test func stopIsIdempotentAndTheServerCanStartAgain() throws {
            let server = HTTPServer(
                configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0),
                handler: TestHandler()
            )
            server.stop()  // never started: nothing to do
            try server.start()
            let error = try #require(throws: HTTPServerError.self) { try server.start() }
            #expect(error.operation == "start")
            server.stop()
            server.stop()
            #expect(!server.isRunning)
            try server.start()
            defer { server.stop() }
            #expect(server.isRunning)
            let client = try TestClient(port: server.port)
            try client.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }

        @Test(.enabled(if: ipv6LoopbackAvailable(), "this machine has no IPv6 loopback (::1)"))
        func servesOnIPv6Loopback() throws {
            try withServer(configuration: testConfiguration { $0.host = "::1" }) { server in
                let client = try TestClient(host: "::1", port: server.port)
                try client.send("GET /v6 HTTP/1.1\r\nHost: [::1]\r\n\r\n")
                #expect(try client.readResponse().text == "GET /v6 ")
            }
        }
    }
}

/// Lets a handler reach the server it runs in.
final class ServerBox: Sendable {
    private let value = Mutex<HTTPServer?>(nil)
    var server: HTTPServer? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
