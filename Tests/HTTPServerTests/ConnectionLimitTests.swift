import HTTPCore
import HTTPServer
import TestSupport
import Testing

extension LiveServerTests {
    @Suite struct ConnectionLimits {
        @Test func connectionOverTheCapGets503AndClose() throws {
            try withServer(configuration: testConfiguration { $0.maxConnections = 5 }) { server in
                let clients = try (0..<5).map { _ in try TestClient(port: server.port) }
                #expect(eventually { server.connectionCount == 5 })
                let sixth = try TestClient(port: server.port)
                let response = try sixth.readResponse()
                #expect(response.status == 503)
                #expect(response.header("Connection") == "close")
                #expect(try sixth.readUntilClosed().isEmpty)
                sixth.close()
                // The five admitted connections still work.
                try clients[4].send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try clients[4].readResponse().status == 200)
                // A slot freed is a slot usable again.
                clients[0].close()
                #expect(eventually { server.connectionCount == 4 })
                let again = try TestClient(port: server.port)
                try again.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try again.readResponse().status == 200)
            }
        }

        @Test func threeHundredSilentConnectionsDoNotBlockAFreshOne() throws {
            try withServer { server in
                let idle = try (0..<300).map { _ in try TestClient(port: server.port) }
                #expect(eventually { server.connectionCount == 300 })
                let client = try TestClient(port: server.port)
                var response: TestResponse?
                let elapsed = try elapsedMs {
                    try client.send("GET /fresh HTTP/1.1\r\nHost: a\r\n\r\n")
                    response = try client.readResponse(timeoutMs: 2_000)
                }
                #expect(response?.status == 200)
                #expect(elapsed < 1_000)
                #expect(idle.count == 300)
            }
        }
    }
}
