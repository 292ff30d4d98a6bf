import DataDistModel
import Glibc
import TestSupport
import Testing

/// A real node over real sockets: the admin API, the peer listener, role switching end to end.
@Suite struct NodeLiveTests {
    @Test func healthRoleAndPeerHelloOverTheWire() throws {
        let n = try LiveNode { c in
            c.role = .prompt
            c.clusterID = 9_007_199_254_740_993  // 2^53 + 1 must round-trip exactly
            c.listen = ListenAddress(host: "127.0.0.1", port: 0)
        }
        let health = try #require(n.request("GET", "/healthz"))
        #expect(health.status == 200)
        #expect(health.text == #"{"status":"ok"}"#)
        #expect(n.request("GET", "/readyz")?.status == 200)
        let role = try #require(n.request("GET", "/v1/role"))
        let json = try JSONValue.parse(role.body)
        #expect(json.objectValue?["cluster_id"] == .int(9_007_199_254_740_993))
        #expect(json.objectValue?["role"] == "PROMPT")
        let peerPort = try #require(n.node.peerPort)
        #expect(json.objectValue?["listen_ip_info"] == .string("127.0.0.1:\(peerPort)"))
        let hello = try #require(RawHTTPConnection.request(port: peerPort, "GET", "/v1/peer/hello"))
        #expect(hello.status == 200)
        let h = try JSONValue.parse(hello.body)
        #expect(h.objectValue?["service"] == "datadist")
        #expect(h.objectValue?["cluster_id"] == .int(9_007_199_254_740_993))
        #expect(h.objectValue?["protocol_version"] == 1)
        #expect(h.objectValue?["boot_id"] == .string(n.node.bootID))
    }

    @Test func seedFlowDecoderBecomesPromptThenDecoder() throws {
        let n = try LiveNode()
        let port = freePort()
        #expect((try? RawHTTPConnection(port: port)) == nil)
        let toPrompt = try #require(
            n.request(
                "PUT",
                "/v1/role",
                body:
                    #"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"127.0.0.1:\#(port)"},"expected_epoch":0}"#
            )
        )
        #expect(toPrompt.status == 200, "\(toPrompt.text)")
        let hello = try #require(RawHTTPConnection.request(port: port, "GET", "/v1/peer/hello"))
        #expect(hello.status == 200)
        #expect(n.request("GET", "/readyz")?.status == 200)
        let stale = try #require(n.request("PUT", "/v1/role", body: #"{"role":"DECODER","expected_epoch":0}"#))
        #expect(stale.status == 409)
        #expect(stale.text.contains("EPOCH_MISMATCH"))
        let toDecoder = try #require(n.request("PUT", "/v1/role", body: #"{"role":"DECODER","expected_epoch":1}"#))
        #expect(toDecoder.status == 200)
        #expect(eventually { (try? RawHTTPConnection(port: port)) == nil })
    }

    @Test func bindFailureOnATakenPortLeavesTheNodeAsItWas() throws {
        let n = try LiveNode()
        let other = try LiveNode { c in
            c.role = .prompt
            c.listen = ListenAddress(host: "127.0.0.1", port: 0)
        }
        let taken = try #require(other.node.peerPort)
        let r = try #require(
            n.request(
                "PUT",
                "/v1/role",
                body: #"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"127.0.0.1:\#(taken)"}}"#
            )
        )
        #expect(r.status == 500)
        #expect(r.text.contains("LLM_FAILED"))
        #expect(r.text.contains("Address already in use"))
        let role = try JSONValue.parse(try #require(n.request("GET", "/v1/role")).body)
        #expect(role.objectValue?["role"] == "DECODER")
        #expect(role.objectValue?["role_epoch"] == 0)
        #expect(role.objectValue?["listen_ip_info"] == .null)
        // The other node's listener is untouched.
        #expect(RawHTTPConnection.request(port: taken, "GET", "/v1/peer/hello")?.status == 200)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let n = try LiveNode()
        let c = try #require(try? RawHTTPConnection(port: n.port))
        let body = #"{"role":"LEADER"}"#
        try? c.send(
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                + "PUT /v1/role HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                + "GET /v1/role HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        let statuses = (0..<4).compactMap { _ in (try? c.readResponse(timeoutMs: 10_000))?.status }
        #expect(statuses == [200, 400, 200, 404])
    }

    @Test func threeHundredIdleConnectionsDoNotBlockHealth() throws {
        let n = try LiveNode()
        var idle: [RawHTTPConnection] = []
        for _ in 0..<300 {
            if let c = try? RawHTTPConnection(port: n.port) { idle.append(c) }
        }
        #expect(idle.count == 300)
        // Half a request on some of them: a slow client must not hold anyone else.
        for c in idle.prefix(50) { try? c.send("GET /healthz HTTP/1.1\r\nHo") }
        let start = ContinuousClock.now
        #expect(n.request("GET", "/healthz")?.status == 200)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func expectContinueGetsAnInterimResponseBeforeTheBody() throws {
        let n = try LiveNode()
        let c = try #require(try? RawHTTPConnection(port: n.port))
        let body = #"{"role":"MIX"}"#
        try? c.send(
            "PUT /v1/role HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        )
        let interim = try #require((try? c.readResponse(timeoutMs: 10_000)))
        #expect(interim.status == 100)
        try? c.send(body)
        let final = try #require((try? c.readResponse(timeoutMs: 10_000)))
        #expect(final.status == 200, "\(final.text)")
    }

    @Test func unauthorizedUploadIsRefusedWithoutReadingTheBody() throws {
        let n = try LiveNode { $0.adminToken = "t0ken" }
        let c = try #require(try? RawHTTPConnection(port: n.port))
        try? c.send("PUT /v1/role HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 20\r\n\r\n")
        let r = try #require((try? c.readResponse(timeoutMs: 10_000)))
        #expect(r.status == 401)
        #expect(r.text.contains("UNAUTHORIZED"))
        #expect(!r.text.contains("t0ken"))
        #expect(c.waitForClose())
        #expect(n.request("GET", "/v1/role", headers: ["Authorization: Bearer t0ken"])?.status == 200)
    }

    @Test func malformedRequestGetsAJSONErrorAndTheConnectionCloses() throws {
        let n = try LiveNode()
        let c = try #require(try? RawHTTPConnection(port: n.port))
        try? c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5abc\r\n\r\n")
        let r = try #require((try? c.readResponse(timeoutMs: 10_000)))
        #expect(r.status == 400)
        #expect(r.header("Connection")?.lowercased() == "close")
        let json = try JSONValue.parse(r.body)
        #expect(json.objectValue?["error"]?.objectValue?["status"] == "BAD_REQUEST")
        #expect(c.waitForClose())
        #expect(n.request("GET", "/healthz")?.status == 200)
    }

    @Test func oversizedJSONBodyIs413() throws {
        let n = try LiveNode { $0.maxJSONBodyBytes = 1024 }
        let big = String(repeating: " ", count: 2048)
        let r = try #require(n.request("PUT", "/v1/role", body: big))
        #expect(r.status == 413)
        #expect(r.text.contains("PAYLOAD_TOO_LARGE"))
    }

    @Test func peerTokenGuardsThePeerListener() throws {
        let n = try LiveNode { c in
            c.role = .prompt
            c.listen = ListenAddress(host: "127.0.0.1", port: 0)
            c.peerToken = "peer-secret"
        }
        let port = try #require(n.node.peerPort)
        let denied = try #require(RawHTTPConnection.request(port: port, "GET", "/v1/peer/hello"))
        #expect(denied.status == 401)
        #expect(!denied.text.contains("peer-secret"))
        let ok = RawHTTPConnection.request(
            port: port,
            "GET",
            "/v1/peer/hello",
            headers: ["Authorization: Bearer peer-secret"]
        )
        #expect(ok?.status == 200)
    }
}
