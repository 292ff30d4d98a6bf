import DataDistModel
import HTTPCore
import HTTPServer
import Testing

@testable import DataDistNode

/// The one routed handler: one decision per head, the sink path taken by streamed routes, the admin and peer
/// policies.
@Suite struct RoutedAPITests {
    @Test func anAbsoluteFormTargetIsServedByItsPath() {
        let (_, api) = makeAdmin()
        let r = call(api, "GET", "http://node:9200/v1/role")
        #expect(r.status == 200)
        #expect(r.json?["role"]?.stringValue == "DECODER")
    }

    @Test func aTensorWriteIsAcceptedWithItsSinkAndTheRouteLimit() throws {
        let node = CacheNode()
        let id = try node.cacheID(CacheTensorTests.cache)
        let head = HTTPRequestHead(
            method: "PUT",
            target: "/v1/cache/\(id)/tensors/1",
            headers: ["Host": "test", "Content-Type": "application/octet-stream"],
            framing: .contentLength(32)
        )
        guard case .accept(let accepted) = node.api.accept(head) else {
            Issue.record("tensor write refused from its head")
            return
        }
        #expect(accepted.sink != nil)
        #expect(accepted.bodyLimit > node.core.config.maxJSONBodyBytes || accepted.bodyLimit >= 32)
        accepted.sink?.abandon()  // releases the pin the sink holds
        #expect(node.pins(id) == 0)
        // Through the driver (sink fed in pieces, then the handler): the bytes land.
        let data = pattern(32, seed: 3)
        #expect(node.write(id, 1, "", data).status == 200)
        #expect(node.bytes(id, 1) == data)
        #expect(node.pins(id) == 0)
    }

    @Test func aJSONRouteBuffersItsBodyUnderTheJSONLimit() {
        let (core, api) = makeAdmin()
        let head = HTTPRequestHead(
            method: "PUT",
            target: "/v1/role",
            headers: ["Host": "test"],
            framing: .contentLength(10)
        )
        guard case .accept(let accepted) = api.accept(head) else {
            Issue.record("role switch refused from its head")
            return
        }
        #expect(accepted.sink == nil)
        #expect(accepted.bodyLimit == core.config.maxJSONBodyBytes)
    }

    @Test func aDeclaredBodyOverTheLimitIs413FromTheHead() {
        let (core, api) = makeAdmin { $0.adminToken = "secret" }
        let head = HTTPRequestHead(
            method: "PUT",
            target: "/nowhere",
            headers: ["Host": "test"],
            framing: .contentLength(core.config.maxJSONBodyBytes + 1)
        )
        guard case .reject(let response) = api.accept(head) else {
            Issue.record("accepted a body over the limit")
            return
        }
        #expect(response.status == 413)  // before auth and routing, as the parser answered it before
        #expect(response.errorStatus == "PAYLOAD_TOO_LARGE")
    }

    @Test func unmatchedAndUnauthorizedAreRefusedFromTheHeadAndCounted() {
        let (core, api) = makeAdmin { $0.adminToken = "secret" }
        #expect(call(api, "GET", "/v1/role").status == 401)
        #expect(call(api, "GET", "/healthz").status == 200)  // health routes need no token
        let authorized: HTTPHeaders = ["Host": "test", "Authorization": "Bearer secret"]
        let r = call(api, "DELETE", "/v1/role", headers: authorized)
        #expect(r.status == 405)
        #expect(r.headers["Allow"] != nil)
        #expect(call(api, "GET", "/v1/nothing", headers: authorized).status == 404)
        let counted = core.metrics.snapshot()
        #expect(counted.contains { $0.route == "unauthorized" && $0.status == 401 })
        #expect(counted.contains { $0.route == "unmatched" && $0.status == 405 })
        #expect(counted.contains { $0.route == "unmatched" && $0.status == 404 })
        #expect(counted.contains { $0.route == "GET /healthz" && $0.status == 200 })
    }
}
