import HTTPCore
import HTTPServer
import Testing

extension LiveServerTests {
    @Suite struct Timeouts {
        @Test func partialHeadGets408AndCloseAfterTheHeaderTimeout() throws {
            try withServer(configuration: testConfiguration { $0.headerTimeoutMs = 300 }) { server in
                let client = try TestClient(port: server.port)
                var response: TestResponse?
                let elapsed = try elapsedMs {
                    try client.send("GET /slow HTTP/1.1\r\nHost: a\r\n")
                    response = try client.readResponse(timeoutMs: 3_000)
                }
                #expect(response?.status == 408)
                #expect(response?.header("Connection") == "close")
                #expect(elapsed >= 280 && elapsed < 1_500)
                #expect(try client.readUntilClosed(timeoutMs: 3_000).isEmpty)
            }
        }

        @Test func stalledBodyGets408AfterTheBodyTimeout() throws {
            try withServer(configuration: testConfiguration { $0.bodyTimeoutMs = 300 }) { server in
                let client = try TestClient(port: server.port)
                try client.send("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
                let response = try client.readResponse(timeoutMs: 3_000)
                #expect(response.status == 408)
                #expect(try client.readUntilClosed(timeoutMs: 3_000).isEmpty)
            }
        }

        @Test func idleKeepAliveConnectionIsClosedSilently() throws {
            try withServer(configuration: testConfiguration { $0.idleTimeoutMs = 300 }) { server in
                let client = try TestClient(port: server.port)
                try client.send("GET /once HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().status == 200)
                var rest: [UInt8] = [0]
                let elapsed = try elapsedMs { rest = try client.readUntilClosed(timeoutMs: 3_000) }
                #expect(rest.isEmpty)
                #expect(elapsed >= 250 && elapsed < 1_500)
                #expect(eventually { server.connectionCount == 0 })
            }
        }

        @Test func connectionThatNeverSendsIsClosedByTheIdleTimeout() throws {
            try withServer(configuration: testConfiguration { $0.idleTimeoutMs = 300 }) { server in
                let client = try TestClient(port: server.port)
                #expect(try client.readUntilClosed(timeoutMs: 3_000).isEmpty)
            }
        }
    }
}

extension LiveServerTests {
    @Suite struct EmptyLineDrip {
        /// A client dripping `\r\n` must not keep its connection forever (issue 14: still open after 12 s).
        @Test func emptyLinesBeforeARequestLineAreBounded() throws {
            try withServer { server in
                let client = try TestClient(port: server.port)
                for _ in 0..<5 { try client.send("\r\n") }
                let response = try client.readResponse(timeoutMs: 3_000)
                #expect(response.status == 400)
                #expect(try client.readUntilClosed(timeoutMs: 3_000).isEmpty)
            }
        }
    }
}
