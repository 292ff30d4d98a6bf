import PeerClient
import Testing

@Suite(.timeLimit(.minutes(1)))
struct BufferedRequestTests {
    let client = PeerClient()

    @Test func getReturnsStatusHeadersAndBody() throws {
        let server = try ScriptedServer { _ in
            .send(httpResponse(headers: ["X-Peer: one"], body: Array("hello".utf8)))
        }
        defer { server.stop() }
        let response = try client.perform(PeerRequest(url: server.url("/v1/peer/hello"), totalTimeoutMs: 5000))
        #expect(response.status == 200)
        #expect(response.body == Array("hello".utf8))
        #expect(response.headers.value(named: "x-peer") == "one")
        #expect(response.headers.contains(PeerHeader(name: "content-length", value: "5")))
        #expect(server.requests.map(\.target) == ["/v1/peer/hello"])
    }

    @Test func largePostArrivesIntactWithoutExpectContinue() throws {
        let payload = randomBytes(2 << 20)
        let server = try ScriptedServer { _ in .send(httpResponse(status: 201, reason: "Created", body: [])) }
        defer { server.stop() }
        let request = PeerRequest(
            method: "POST",
            url: server.url("/v1/peer/push"),
            headers: [PeerHeader(name: "Content-Type", value: "application/octet-stream")],
            body: .bytes(payload),
            totalTimeoutMs: 5000
        )
        let (response, seconds) = measure { Result { () throws(PeerError) in try client.perform(request) } }
        #expect(try response.get().status == 201)
        // A 100-continue wait would cost libcurl a full second.
        #expect(seconds < 0.9)
        let received = try #require(server.requests.first)
        #expect(received.body == payload)
        #expect(!received.headerNames.contains("expect"))
        #expect(received.head.hasPrefix("POST /v1/peer/push HTTP/1.1\r\n"))
    }

    @Test func uploadFromBorrowedRegionUsesTheGivenMethod() throws {
        let payload = randomBytes(300_000)
        let server = try ScriptedServer { _ in .send(httpResponse(body: Array("stored".utf8))) }
        defer { server.stop() }
        let response = try payload.withUnsafeBytes { region throws(PeerError) in
            try client.perform(
                PeerRequest(
                    method: "PUT",
                    url: server.url("/v1/cache/7"),
                    body: .region(PeerUploadRegion(region)),
                    totalTimeoutMs: 5000
                )
            )
        }
        #expect(response.body == Array("stored".utf8))
        let received = try #require(server.requests.first)
        #expect(received.head.hasPrefix("PUT /v1/cache/7 HTTP/1.1\r\n"))
        #expect(received.body == payload)
        #expect(received.head.contains("Content-Type: application/octet-stream"))
        #expect(!received.headerNames.contains("expect"))
    }

    @Test func serviceUnavailableCarriesThePeersJSONBody() throws {
        let json = Array(#"{"error": {"status": "LLM_LINK_BUSY", "code": 1}}"#.utf8)
        let reply = httpResponse(
            status: 503,
            reason: "Service Unavailable",
            headers: ["Content-Type: application/json"],
            body: json
        )
        let server = try ScriptedServer { _ in .send(reply) }
        defer { server.stop() }
        let error = try #require(
            peerError { () throws(PeerError) in try client.perform(PeerRequest(url: server.url("/x"))) }
        )
        #expect(error.kind == .httpStatus(503))
        #expect(error.body == json)
    }

    @Test func bodyOverTheBufferLimitIsRefused() throws {
        let small = PeerClient(configuration: .init(maxBufferedBodyBytes: 1000))
        let server = try ScriptedServer { _ in .send(httpResponse(body: randomBytes(1001))) }
        defer { server.stop() }
        let error = peerError { () throws(PeerError) in try small.perform(PeerRequest(url: server.url("/big"))) }
        #expect(error?.kind == .badResponse)
    }

    @Test func largeErrorBodyIsCutAtTheLimitAndKeepsTheStatus() throws {
        let limited = PeerClient(configuration: .init(maxErrorBodyBytes: 100))
        let body = randomBytes(300_000)
        let server = try ScriptedServer { _ in .send(httpResponse(status: 500, reason: "Boom", body: body)) }
        defer { server.stop() }
        let error = peerError { () throws(PeerError) in try limited.perform(PeerRequest(url: server.url("/e"))) }
        #expect(error?.kind == .httpStatus(500))
        #expect(error?.body == Array(body[..<100]))
    }

    @Test func headAnswerAnnouncesALengthItDoesNotSend() throws {
        let headOnly = Array("HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n".utf8)
        let server = try ScriptedServer { request in
            .send(request.head.hasPrefix("HEAD ") ? headOnly : httpResponse(body: []))
        }
        defer { server.stop() }
        let response = try client.perform(PeerRequest(method: "HEAD", url: server.url("/h"), totalTimeoutMs: 5000))
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.headers.value(named: "content-length") == "4096")
        let second = try client.perform(PeerRequest(method: "DELETE", url: server.url("/d"), totalTimeoutMs: 5000))
        #expect(second.status == 200)
        #expect(
            server.requests.map(\.requestLine) == ["HEAD /h HTTP/1.1", "DELETE /d HTTP/1.1"]
        )
        #expect(server.acceptedConnections == 1)
    }
}
