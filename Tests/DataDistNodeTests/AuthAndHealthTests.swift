import DataDistModel
import HTTPCore
import Testing

@testable import DataDistNode

@Suite struct AuthAndHealthTests {
    @Test func adminTokenGuardsEverythingButHealth() {
        let (_, api) = makeAdmin { $0.adminToken = "s3cret" }
        #expect(call(api, "GET", "/healthz").status == 200)
        #expect(call(api, "GET", "/readyz").status == 200)
        let denied = call(api, "GET", "/v1/role")
        #expect(denied.status == 401)
        #expect(denied.errorStatus == "UNAUTHORIZED")
        #expect(denied.headers["WWW-Authenticate"] == "Bearer")
        #expect(!denied.text.contains("s3cret"))
        #expect(call(api, "GET", "/v1/role", headers: ["Host": "t", "Authorization": "Bearer wrong"]).status == 401)
        #expect(call(api, "GET", "/v1/role", headers: ["Host": "t", "Authorization": "Bearer s3cre"]).status == 401)
        #expect(call(api, "GET", "/v1/role", headers: ["Host": "t", "Authorization": "Basic s3cret"]).status == 401)
        #expect(call(api, "GET", "/v1/role", headers: ["Host": "t", "Authorization": "Bearer s3cret"]).status == 200)
        #expect(call(api, "GET", "/v1/role", headers: ["Host": "t", "Authorization": "bearer s3cret"]).status == 200)
        // Unknown paths do not reveal themselves without the token.
        #expect(call(api, "GET", "/nope").status == 401)
    }

    @Test func constantTimeCompare() {
        #expect(BearerToken.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!BearerToken.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!BearerToken.constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!BearerToken.constantTimeEquals([], Array("a".utf8)))
        #expect(BearerToken.constantTimeEquals([], []))
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithAllow() {
        let (_, api) = makeAdmin()
        let nf = call(api, "GET", "/v2/nothing")
        #expect(nf.status == 404)
        #expect(nf.errorStatus == "NOT_FOUND")
        let na = call(api, "DELETE", "/v1/role")
        #expect(na.status == 405)
        #expect(na.errorStatus == "METHOD_NOT_ALLOWED")
        #expect(na.headers["Allow"] == "GET, PUT")
    }

    @Test func healthAndReadiness() {
        let (core, api) = makeAdmin()
        #expect(call(api, "GET", "/healthz").text == #"{"status":"ok"}"#)
        #expect(call(api, "GET", "/readyz").status == 200)
        core.state.withLock { $0.stopping = true }
        let r = call(api, "GET", "/readyz")
        #expect(r.status == 503)
        #expect(r.json?["reason"] != nil)
    }

    @Test func promptWithoutListenerIsNotReady() {
        let (_, api) = makeAdmin { $0.role = .prompt }
        let r = call(api, "GET", "/readyz")
        #expect(r.status == 503)
        #expect(r.json?["reason"]?.stringValue?.contains("listener") == true)
    }

    @Test func nodeDescribesItself() {
        let (core, api) = makeAdmin { c in
            c.clusterID = 42
            c.deviceIDs = [0, 1]
            c.devicePoolBytes = 1 << 20
        }
        let r = call(api, "GET", "/v1/node")
        #expect(r.status == 200)
        let j = r.json
        #expect(j?["cluster_id"] == 42)
        #expect(j?["role"] == "DECODER")
        #expect(j?["boot_id"]?.stringValue == core.bootID)
        #expect(core.bootID.count == 32)
        #expect(j?["device_ids"] == [0, 1])
        #expect(j?["pools"]?.arrayValue?.count == 4)
        #expect(j?["pools"]?.arrayValue?.first?["capacity"] == 1_048_576)
        #expect(j?["link_count"] == 0)
    }

    @Test func metricsCountRequestsByRouteAndStatus() {
        let (_, api) = makeAdmin()
        _ = call(api, "GET", "/v1/role")
        _ = call(api, "GET", "/v1/role")
        _ = call(api, "PUT", "/v1/role", body: "{}")
        _ = call(api, "GET", "/missing")
        let m = call(api, "GET", "/metrics")
        #expect(m.status == 200)
        #expect(m.headers["Content-Type"]?.hasPrefix("text/plain") == true)
        #expect(m.text.contains(#"datadist_http_requests_total{route="GET /v1/role",status="200"} 2"#))
        #expect(m.text.contains(#"datadist_http_requests_total{route="PUT /v1/role",status="400"} 1"#))
        #expect(m.text.contains(#"datadist_http_requests_total{route="unmatched",status="404"} 1"#))
        #expect(m.text.contains(#"datadist_role{role="DECODER"} 1"#))
    }
}
