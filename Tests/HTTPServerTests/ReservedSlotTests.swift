import HTTPCore
import HTTPServer
import Testing

extension LiveServerTests {
    /// Silent connections filling the cap must not lock out health probes (issue 14; the deploy/ liveness probe
    /// restarts a pod whose `/healthz` fails).
    @Suite struct ReservedSlots {
        private func capped(_ cap: Int) -> HTTPServerConfiguration {
            testConfiguration {
                $0.maxConnections = cap
                $0.reservedPaths = ["/healthz", "/readyz"]
                $0.reservedSlots = 4
            }
        }

        @Test func healthStillAnswersWhenSilentConnectionsFillTheCap() throws {
            try withServer(configuration: capped(5)) { server in
                // The cap, then more silent connections than there are reserved slots.
                let silent = try (0..<12).map { _ in try TestClient(port: server.port) }
                #expect(eventually { server.connectionCount >= 9 })
                let probe = try TestClient(port: server.port)
                try probe.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                let response = try probe.readResponse(timeoutMs: 3_000)
                #expect(response.status == 200)
                #expect(response.text == "GET /healthz ")
                #expect(response.header("Connection") == "close")  // over the cap: served once
                let ready = try TestClient(port: server.port)
                try ready.send("GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try ready.readResponse(timeoutMs: 3_000).status == 200)
                #expect(silent.count == 12)
            }
        }

        @Test func otherPathsOverTheCapGet503() throws {
            try withServer(configuration: capped(2)) { server in
                let held = try (0..<2).map { _ in try TestClient(port: server.port) }
                #expect(eventually { server.connectionCount == 2 })
                let other = try TestClient(port: server.port)
                try other.send("GET /v1/role HTTP/1.1\r\nHost: a\r\n\r\n")
                let response = try other.readResponse(timeoutMs: 3_000)
                #expect(response.status == 503)
                #expect(try other.readUntilClosed(timeoutMs: 3_000).isEmpty)
                #expect(held.count == 2)
            }
        }

        @Test func aSilentConnectionOverTheCapIsAnswered408OnTheHeaderTimeout() throws {
            var configuration = capped(1)
            configuration.headerTimeoutMs = 300
            try withServer(configuration: configuration) { server in
                let held = try TestClient(port: server.port)
                #expect(eventually { server.connectionCount == 1 })
                let silent = try TestClient(port: server.port)
                #expect(try silent.readResponse(timeoutMs: 3_000).status == 408)
                #expect(held.fd >= 0)
            }
        }
    }
}
