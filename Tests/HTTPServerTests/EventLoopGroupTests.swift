import Glibc
import HTTPCore
import HTTPServer
import Synchronization
import TestSupport
import Testing

/// The name of the calling thread (loop threads are named `<server>-loop<i>`).
private func threadName() -> String {
    let fd = open("/proc/thread-self/comm", O_RDONLY)
    guard fd >= 0 else { return "?" }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 32)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    return String(decoding: buffer.prefix(max(0, n)).prefix { $0 != 10 }, as: UTF8.self)
}

/// A handler that answers with the name of the loop thread it ran on.
private func namingHandler() -> TestHandler {
    var handler = TestHandler()
    handler.onRequest = { _, responder in
        responder.respond(HTTPResponse(status: 200, body: Array(threadName().utf8)))
    }
    return handler
}

extension LiveServerTests {
    /// `loops` event loops per server (CONTRACT §9): the acceptor hands connections out in turn.
    @Suite struct EventLoopGroup {
        @Test func connectionsAreHandedToEveryLoopInTurn() throws {
            let configuration = testConfiguration { $0.loops = 4 }
            try withServer(handler: namingHandler(), configuration: configuration) { server in
                let clients = try (0..<8).map { _ in try TestClient(port: server.port) }
                var names: [String: Int] = [:]
                for client in clients {
                    try client.send("GET /who HTTP/1.1\r\nHost: a\r\n\r\n")
                    names[try client.readResponse().text, default: 0] += 1
                }
                #expect(names == ["test-loop0": 2, "test-loop1": 2, "test-loop2": 2, "test-loop3": 2])
                // A keep-alive connection stays on its loop.
                try clients[1].send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try clients[1].readResponse().text == "test-loop1")
            }
        }

        @Test func theConnectionCapCountsEveryLoop() throws {
            let configuration = testConfiguration {
                $0.loops = 4
                $0.maxConnections = 5
            }
            try withServer(configuration: configuration) { server in
                let clients = try (0..<5).map { _ in try TestClient(port: server.port) }
                #expect(eventually { server.connectionCount == 5 })
                let sixth = try TestClient(port: server.port)
                #expect(try sixth.readResponse().status == 503)
                // Freed on another loop than the acceptor's, the slot is usable again.
                clients[2].close()
                #expect(eventually { server.connectionCount == 4 })
                let again = try TestClient(port: server.port)
                try again.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try again.readResponse().status == 200)
            }
        }

        @Test func stopClosesEveryLoopsConnectionsAndFreesThePort() throws {
            let server = HTTPServer(configuration: testConfiguration { $0.loops = 5 }, handler: TestHandler())
            try server.start()
            let clients = try (0..<10).map { _ in try TestClient(port: server.port) }
            #expect(eventually { server.connectionCount == 10 })
            server.stop()
            #expect(!server.isRunning)
            #expect(server.connectionCount == 0)
            for client in clients {
                #expect(try client.readUntilClosed(timeoutMs: 2_000).isEmpty)
                client.close()
            }
            // The listener is closed too: a new server binds the same port at once.
            let successor = HTTPServer(
                configuration: testConfiguration {
                    $0.loops = 2
                    $0.port = server.port
                },
                handler: TestHandler()
            )
            try successor.start()
            successor.stop()
        }

        @Test func stopFromAHandlerOnAnyLoopThread() throws {
            let box = ServerBox()
            var handler = TestHandler()
            handler.onRequest = { _, responder in
                box.server?.stop()  // on a loop thread other than the acceptor's: starts the stop, returns
                responder.respond(HTTPResponse(status: 200, body: Array(threadName().utf8)))
            }
            let server = HTTPServer(configuration: testConfiguration { $0.loops = 2 }, handler: handler)
            box.server = server
            try server.start()
            let first = try TestClient(port: server.port)
            let second = try TestClient(port: server.port)
            try second.send("POST /shutdown HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
            #expect(try second.readResponse().text == "test-loop1")
            #expect(try first.readUntilClosed().isEmpty)
            #expect(eventually { !server.isRunning })
            server.stop()  // joins the threads that stopped themselves
            try server.start()
            defer { server.stop() }
            #expect(server.isRunning)
        }
    }
}
